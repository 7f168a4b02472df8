/**
 * The attachments page: in Chromium, on IndexedDB, writes an attachment from a Blob's web stream,
 * reads it back whole and by range, pulls it lazily into a second database and fetches on read,
 * and reports what it saw to the Node side (test/browser/attachments.test.ts).
 */
import { ready, TenantFactory, TEST_KDF } from '@weft/core'
import { IdbStoreFactory } from '@weft/store-idb'
import { noiseBytes } from '@weft/core/testing/fixtures'

/** What the page found. */
export interface AttachmentsPageResult {
  readonly size: number
  readonly chunks: number
  readonly wholeMatches: boolean
  readonly rangeMatches: boolean
  readonly lazyChunksAfterPull: number
  readonly lazyReadMatches: boolean
  readonly lazyChunksAfterRead: number
}

const bytes = (n: number) => noiseBytes(n, 12345)

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i])

async function run(): Promise<AttachmentsPageResult> {
  await ready()
  const factory = new TenantFactory({ storeFactory: new IdbStoreFactory({ name: 'weft-attachments' }), kdf: TEST_KDF })
  const office = await factory.createTenant({ tenantId: 'office', password: 'pw' })
  const builder = await factory.createTenant({ tenantId: 'builder', password: 'pw' })
  await builder.addPartner(office.publicProfile(), { dbs: ['files'] })
  await office.keyBag.generateKey('files-key')
  await builder.acceptSharedKey(office.shareKey('files-key', builder.publicProfile()))
  const db = await office.openDB('files', { keyId: 'files-key' })
  const lazy = await builder.openDB('files', { attachments: 'lazy' })

  const data = bytes(1_500_000)
  const doc = await db.createDocument({ data: { title: 'plan' } })
  const upload = await db.writeAttachment(doc, new Blob([data]).stream(), { type: 'application/pdf' })
  await db.changeDoc(doc, (d) => d.addAttachment('plan.pdf', upload))
  const handle = (await db.getDocument(doc.getId()))!
  const whole = await handle.getAttachment('plan.pdf')
  const parts: Uint8Array[] = []
  for await (const p of handle.streamAttachment('plan.pdf', { start: 100_000, end: 300_000 })) parts.push(p.slice())
  const range = new Uint8Array(await new Blob(parts as Uint8Array<ArrayBuffer>[]).arrayBuffer())

  const countChunks = async (store: typeof db) =>
    (await store.getStore().scan(null, { limit: 100_000 })).entries.filter((e) => e.kind === 'chunk').length
  await lazy.pullChangesFrom(db)
  const lazyChunksAfterPull = await countChunks(lazy)
  const lazyRead = await (await lazy.getDocument(doc.getId()))!.getAttachment('plan.pdf')
  const result = {
    size: whole.length,
    chunks: upload.record.chunks.length,
    wholeMatches: equal(whole, data),
    rangeMatches: equal(range, data.subarray(100_000, 300_000)),
    lazyChunksAfterPull,
    lazyReadMatches: equal(lazyRead, data),
    lazyChunksAfterRead: await countChunks(lazy),
  }
  await office.close()
  await builder.close()
  return result
}

declare global {
  var weftAttachmentsPage: { run(): Promise<AttachmentsPageResult> } | undefined
}
globalThis.weftAttachmentsPage = { run }
