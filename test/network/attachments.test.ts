// Attachments through a relay: an upload cut short resumes with only the missing chunks, a lazily
// synced device fetches chunks from the server on first read (and resumes a read cut short), a
// chunk tampered in the server's storage is refused, and the relay bounds chunks like any entry.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, ready, type ChangeHash, type ChangeStore, type Database } from '@weft/core'
import { copyEntries, copyMissingEntries } from '@weft/core/backend'
import { WeftServer } from '@weft/server'
import { flipBit, underHash } from '../helpers/entries.ts'
import { RawStorage } from '../helpers/RawStorage.ts'
import { setupTenant } from './helpers/devices.ts'
import { noiseBytes as bytes } from '@weft/core/testing/fixtures'

const SMALL = { min: 1024, avg: 4096, max: 16_384 }

async function chunkHashes(db: Database | ChangeStore): Promise<ChangeHash[]> {
  const store = 'getStore' in db ? db.getStore() : db
  const page = await store.scan(null, { limit: 100_000 })
  return page.entries.filter((e) => e.kind === 'chunk').map((e) => e.hash)
}

let server: WeftServer
let storage: RawStorage

beforeAll(async () => {
  await ready()
  storage = new RawStorage()
  server = await WeftServer.start({ storeFactory: storage })
})
afterAll(async () => {
  await server?.close()
})

describe('attachments through a relay', () => {
  it('an upload cut short resumes with only the missing chunks; a lazy device fetches on read and resumes', async () => {
    const setup = await setupTenant(server.url, { count: 1 })
    const writer = setup.devices[0]!
    const doc = await writer.db.createDocument({ data: { title: 'scan' } })
    const data = bytes(400_000, 17)
    const upload = await writer.db.writeAttachment(doc, data, { chunkSizes: SMALL, type: 'image/tiff' })
    await writer.db.changeDoc(doc, (d) => d.addAttachment('scan.tiff', upload))
    const chunks = await chunkHashes(writer.db)
    expect(chunks.length).toBeGreaterThan(40)

    // The upload is stopped once its first batch of 20 entries is stored (a dropped connection);
    // the second batch was already on its way (each batch is sent while the one before is being
    // stored), and the copy waits for it before it stops...
    const abort = new AbortController()
    await expect(
      copyMissingEntries(writer.db.getStore(), writer.remote, {
        batchSize: 20,
        signal: abort.signal,
        onBatch: async () => abort.abort(),
      }),
    ).rejects.toMatchObject({ code: ErrorCodes.ABORTED })
    expect((await writer.remote.head()).count).toBe(40)
    // ...and the next push sends only what the server lacks.
    const rest = await writer.db.pushChangesTo(writer.remote)
    expect(rest.transferred).toBe(chunks.length + 2 - 40)
    expect(rest.rejected).toEqual([])

    // A device that syncs attachments lazily gets the document, not its chunks.
    const reader = await setup.addDevice()
    const lazy = await reader.tenant.openDB('notes', { attachments: 'lazy' })
    await lazy.pullChangesFrom(reader.remote)
    expect(await chunkHashes(lazy)).toEqual([])
    const copy = (await lazy.getDocument(doc.getId()))!
    expect(copy.getAttachmentInfo('scan.tiff')).toMatchObject({ type: 'image/tiff', size: 400_000 })
    // A ranged read fetches only the chunks it overlaps.
    const head: Uint8Array[] = []
    for await (const p of copy.streamAttachment('scan.tiff', { start: 0, end: 5_000 })) head.push(p.slice())
    expect(Buffer.concat(head)).toEqual(Buffer.from(data.subarray(0, 5_000)))
    const afterRange = (await chunkHashes(lazy)).length
    expect(afterRange).toBeGreaterThan(0)
    expect(afterRange).toBeLessThanOrEqual(16)
    // A read cut short keeps what it fetched; the next one fetches the rest.
    let got = 0
    for await (const p of copy.streamAttachment('scan.tiff')) if ((got += p.length) > 200_000) break
    const kept = (await chunkHashes(lazy)).length
    expect(kept).toBeGreaterThan(afterRange)
    expect(kept).toBeLessThan(chunks.length)
    expect(await copy.getAttachment('scan.tiff')).toEqual(data)
    expect((await chunkHashes(lazy)).sort()).toEqual([...chunks].sort())
  })

  it('a chunk tampered in the server storage is refused by hash; the chunks around it still read', async () => {
    const setup = await setupTenant(server.url, { count: 1 })
    const writer = setup.devices[0]!
    const doc = await writer.db.createDocument()
    const data = bytes(100_000, 5)
    await writer.db.changeDoc(doc, (d) => d.addAttachment('a.bin', data, { chunkSizes: SMALL }))
    const record = (await writer.db.getDocument(doc.getId()))!.getAttachmentInfo('a.bin')!
    const all = await writer.db.getStore().getAllChangeHashes()
    const chunks = await chunkHashes(writer.db)
    const victim = chunks[chunks.length - 1]!
    await copyEntries(
      writer.db.getStore(),
      writer.remote,
      all.filter((h) => h !== victim),
    )
    const [genuine] = await writer.db.getStore().getChanges([victim])
    const raw = storage.stores.get(`${setup.tenantId}/notes`)!
    await raw.appendMany([underHash(victim, flipBit(genuine!.bytes, genuine!.bytes.length - 100, 2))])

    const reader = await setup.addDevice()
    const lazy = await reader.tenant.openDB('notes', { attachments: 'lazy' })
    await lazy.pullChangesFrom(reader.remote)
    const copy = (await lazy.getDocument(doc.getId()))!
    await expect(copy.getAttachment('a.bin')).rejects.toMatchObject({ code: ErrorCodes.HASH_MISMATCH })
    const first: Uint8Array[] = []
    for await (const p of copy.streamAttachment('a.bin', { end: 10_000 })) first.push(p.slice())
    expect(Buffer.concat(first)).toEqual(Buffer.from(data.subarray(0, 10_000)))
    expect(record.chunks).toBe(chunks.length)
    // An eager pull reports the tampered chunk as rejected and keeps it out.
    const eager = await setup.addDevice()
    const report = await eager.db.pullChangesFrom(eager.remote)
    expect(report.rejected.map((r) => [r.hash, r.error.code])).toEqual([[victim, ErrorCodes.HASH_MISMATCH]])
    await expect((await eager.db.getDocument(doc.getId()))!.getAttachment('a.bin')).rejects.toMatchObject({
      code: ErrorCodes.ATTACHMENT_UNAVAILABLE,
    })
  })

  it('the relay bounds chunks like any entry: one over its entry limit is refused alone', async () => {
    const small = await WeftServer.start({ limits: { maxEntryBytes: 8_192 } })
    try {
      const setup = await setupTenant(small.url, { count: 1 })
      const dev = setup.devices[0]!
      const doc = await dev.db.createDocument()
      await dev.db.changeDoc(doc, (d) =>
        d.addAttachment('a.bin', bytes(30_000, 9), { chunkSizes: { min: 2_048, avg: 4_096, max: 16_384 } }),
      )
      const report = await dev.db.pushChangesTo(dev.remote)
      const big = new Set(
        (await dev.db.getStore().getChanges(await chunkHashes(dev.db)))
          .filter((e) => e.bytes.length > 8_192)
          .map((e) => e.hash),
      )
      expect(big.size).toBeGreaterThan(0)
      expect(report.rejected.map((r) => r.error.code)).toEqual([...big].map(() => ErrorCodes.ENTRY_TOO_LARGE))
      expect(new Set(report.rejected.map((r) => r.hash))).toEqual(big)
      expect(report.transferred).toBeGreaterThan(0)
    } finally {
      await small.close()
    }
  })
})
