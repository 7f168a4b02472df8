import { afterAll, beforeAll } from 'vitest'
import { generateSigningKeyPair, ready } from '@weft/core'
import { runChangeStoreTests } from '@weft/core/testing'
import { WeftServer } from '@weft/server'
import { registerMembers, RemoteChangeStore, ServerConnection } from '../src/index.ts'

let server: WeftServer
let key: ReturnType<typeof generateSigningKeyPair>
let n = 0

beforeAll(async () => {
  await ready()
  key = generateSigningKeyPair()
  // The suite signs with fresh keys per test: this relay accepts any author (still checking hash and signature).
  server = await WeftServer.start({ authors: 'any', limits: { requestsPerSecond: 100_000, burst: 100_000 } })
  await registerMembers({ url: server.url, tenant: 'conformance', admin: key, seq: 1 })
})
afterAll(() => server.close())

runChangeStoreTests('RemoteChangeStore over a Weft server', async () => {
  const store = new RemoteChangeStore({
    connection: new ServerConnection({ url: server.url, tenant: 'conformance', key }),
    db: `db-${++n}`,
  })
  return { store, teardown: () => store.close() }
})
