/**
 * A client process for the crash test: it makes signed entries, keeps them in its own LevelDB
 * store, then pushes them to the server batch by batch, reporting each batch, until it is killed.
 */
import { createInterface } from 'node:readline'
import { generateSigningKeyPair, ready, toHex } from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing'
import { RemoteChangeStore, ServerConnection } from '@weft/client'
import { LevelStoreFactory } from '@weft/store-level'

await ready()
const { WEFT_URL: url, WEFT_TENANT: tenant, WEFT_DIR: dir, WEFT_COUNT: count } = process.env
const factory = new EntryFactory()
const key = generateSigningKeyPair()
console.log(JSON.stringify({ author: toHex(factory.signer.publicKey), device: toHex(key.publicKey) }))
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
await lines.next() // "go": the parent registered both keys

const stores = new LevelStoreFactory({ path: dir! })
const local = await stores.openChangeStore('local/db')
await local.appendMany(factory.entries(Number(count)).map(envelope))
console.log('stored')
const remote = new RemoteChangeStore({
  connection: new ServerConnection({ url: url!, tenant: tenant!, key }),
  db: 'db',
})
const all = await local.getChanges(await local.getAllChangeHashes())
for (let i = 0; i < all.length; i += 50) {
  await remote.relay(all.slice(i, i + 50))
  console.log(`pushed ${i + 50}`)
}
console.log('done')
await stores.close()
