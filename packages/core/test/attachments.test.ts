import { beforeAll, describe, expect, it } from 'vitest'
import { partners } from './helpers/partners.ts'
import {
  ErrorCodes,
  incrementalSync,
  syncDatabases,
  MemoryStoreFactory,
  ready,
  TenantFactory,
  TEST_KDF,
  type Database,
  type DatabaseOptions,
  type DocId,
} from '../src/index.ts'
import { verifyEntry, type EntryEnvelope } from '../src/backend.ts'
import { noiseBytes as bytes } from '../src/store/conformance/fixtures.ts'

beforeAll(ready)

const SMALL = { min: 256, avg: 1024, max: 4096 }

async function database(options: DatabaseOptions = {}, tenantId = `a-${Math.random().toString(36).slice(2)}`) {
  const factory = new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF })
  const tenant = await factory.createTenant({ tenantId, password: 'pw' })
  return { tenant, factory, db: await tenant.openDB('files', options) }
}

async function chunkCount(db: Database): Promise<number> {
  const page = await db.getStore().scan(null, { limit: 100_000 })
  return page.entries.filter((e) => e.kind === 'chunk').length
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const p of it) parts.push(p.slice())
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

describe('attachments', () => {
  it('are added inside changeDoc from bytes, listed, read whole or by range, and removed', async () => {
    const { db } = await database()
    const data = bytes(50_000)
    const doc = await db.createDocument({ data: { title: 'report' } })
    await db.changeDoc(doc, (d) => d.addAttachment('report.pdf', data, { type: 'application/pdf', chunkSizes: SMALL }))
    const read = (await db.getDocument(doc.getId()))!
    expect(read.listAttachments()).toEqual([
      { name: 'report.pdf', type: 'application/pdf', size: 50_000, chunks: expect.any(Number) },
    ])
    expect(read.getAttachmentInfo('report.pdf')!.chunks).toBeGreaterThan(10)
    expect(await read.getAttachment('report.pdf')).toEqual(data)
    expect(await collect(read.streamAttachment('report.pdf', { start: 1234, end: 40_001 }))).toEqual(
      data.slice(1234, 40_001),
    )
    expect(await collect(read.streamAttachment('report.pdf', { start: 49_999, end: 10 }))).toEqual(new Uint8Array())
    const stored = await chunkCount(db)
    await db.changeDoc(doc, (d) => d.removeAttachment('report.pdf'))
    expect(await chunkCount(db)).toBe(stored) // removed from the document, kept in the history
    await expect(read.getAttachment('report.pdf')).rejects.toMatchObject({ code: ErrorCodes.ATTACHMENT_NOT_FOUND })
    expect(read.listAttachments()).toEqual([])
  })

  it('are written from a stream in batches, and the same bytes are stored once per document', async () => {
    const { db } = await database()
    const data = bytes(200_000, 7)
    const doc = await db.createDocument()
    async function* pieces() {
      for (let i = 0; i < data.length; i += 7_777) yield data.subarray(i, i + 7_777)
    }
    const upload = await db.writeAttachment(doc, pieces(), { type: 'video/mp4', chunkSizes: SMALL })
    await db.changeDoc(doc, (d) => d.addAttachment('clip.mp4', upload))
    const stored = await chunkCount(db)
    expect(stored).toBe(upload.record.chunks.length)
    // The same bytes again (another name, then a web stream): no chunk is stored twice.
    await db.changeDoc(doc, (d) => d.addAttachment('copy.mp4', data, { chunkSizes: SMALL }))
    const again = await db.writeAttachment(doc, new Blob([data.slice().buffer as ArrayBuffer]).stream(), {
      chunkSizes: SMALL,
    })
    await db.changeDoc(doc, (d) => d.addAttachment('third.mp4', again))
    expect(await chunkCount(db)).toBe(stored)
    // An edit in the middle stores only the chunks around it.
    const edited = data.slice()
    edited.set(bytes(100, 99), 100_000)
    await db.changeDoc(doc, (d) => d.addAttachment('clip.mp4', edited, { chunkSizes: SMALL }))
    expect(await chunkCount(db)).toBeLessThanOrEqual(stored + 4)
    const read = (await db.getDocument(doc.getId()))!
    expect(await read.getAttachment('clip.mp4')).toEqual(edited)
    expect(await read.getAttachment('third.mp4')).toEqual(data)
  })

  it('store a chunk repeated inside one write once, its entries signed and verifiable', async () => {
    const { db } = await database()
    const block = bytes(30_000, 11)
    const data = new Uint8Array(4 * block.length)
    for (let i = 0; i < 4; i++) data.set(block, i * block.length)
    const doc = await db.createDocument()
    async function* pieces() {
      for (let i = 0; i < data.length; i += 5_000) yield data.subarray(i, i + 5_000)
    }
    const upload = await db.writeAttachment(doc, pieces(), { chunkSizes: SMALL })
    const hashes = upload.record.chunks.map((c) => c.hash)
    // After the first copy the cuts fall in the same places: the same chunks again, in one batch.
    expect(new Set(hashes).size).toBeLessThan(hashes.length - 20)
    expect(await chunkCount(db)).toBe(new Set(hashes).size)
    const stored = await db.getStore().getChanges([...new Set(hashes)])
    expect(stored).toHaveLength(new Set(hashes).size)
    for (const e of stored) expect(verifyEntry(e.hash, e.bytes).header.kind).toBe('chunk') // signature checked
    await db.changeDoc(doc, (d) => d.addAttachment('four.bin', upload))
    expect(await (await db.getDocument(doc.getId()))!.getAttachment('four.bin')).toEqual(data)
  })

  it('reveal nothing of the plaintext: identical files in two documents are different ciphertexts', async () => {
    const { db } = await database()
    const data = new TextEncoder().encode('confidential '.repeat(2_000))
    const a = await db.createDocument()
    const b = await db.createDocument()
    await db.changeDoc(a, (d) => d.addAttachment('x.txt', data, { chunkSizes: SMALL }))
    await db.changeDoc(b, (d) => d.addAttachment('x.txt', data, { chunkSizes: SMALL }))
    const page = await db.getStore().scan(null, { limit: 10_000 })
    const chunks = page.entries.filter((e) => e.kind === 'chunk')
    const ofA = new Set(chunks.filter((e) => e.docId === a.getId()).map((e) => e.hash))
    const ofB = chunks.filter((e) => e.docId === b.getId()).map((e) => e.hash)
    expect(ofA.size).toBeGreaterThan(0)
    expect(ofB.some((h) => ofA.has(h))).toBe(false)
    const envelopes: EntryEnvelope[] = await db.getStore().getChanges(chunks.map((c) => c.hash))
    const text = (e: EntryEnvelope) => Buffer.from(e.bytes).toString('latin1')
    expect(envelopes.some((e) => text(e).includes('confidential'))).toBe(false)
    // History and materialisation pass chunks by.
    expect((await db.getDocumentHistory(a.getId())).map((h) => h.kind)).toEqual(['change', 'create'])
    expect(await db.getAllDocumentIds()).toHaveLength(2)
  })

  it('merge: two writers adding different names concurrently both keep theirs', async () => {
    const { dbs } = await partners(['merge-a', 'merge-b'], 'files', 'files-key')
    const [a, b] = [dbs[0]!, dbs[1]!]
    const doc = await a.createDocument({ data: { title: 'shared' } })
    await b.pullChangesFrom(a)
    await a.changeDoc(doc, (d) => d.addAttachment('from-a.txt', bytes(3_000, 1), { chunkSizes: SMALL }))
    await b.changeDoc(doc.getId(), (d) => d.addAttachment('from-b.txt', bytes(3_000, 2), { chunkSizes: SMALL }))
    await syncDatabases(a, b)
    for (const db of [a, b]) {
      const d = (await db.getDocument(doc.getId()))!
      expect(d.listAttachments().map((x) => x.name)).toEqual(['from-a.txt', 'from-b.txt'])
      expect(await d.getAttachment('from-a.txt')).toEqual(bytes(3_000, 1))
      expect(await d.getAttachment('from-b.txt')).toEqual(bytes(3_000, 2))
    }
  })

  it('refuse misuse with typed errors', async () => {
    const { db } = await database()
    const doc = await db.createDocument()
    const other = await db.createDocument()
    expect(() => doc.addAttachment('a', new Uint8Array(1))).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }),
    )
    await expect(db.changeDoc(doc, (d) => d.addAttachment('', new Uint8Array(1)))).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
    })
    await expect(db.writeAttachment('0'.repeat(32) as DocId, new Uint8Array(10))).rejects.toMatchObject({
      code: ErrorCodes.DOCUMENT_NOT_FOUND,
    })
    const upload = await db.writeAttachment(other, new Uint8Array(10))
    await expect(db.changeDoc(doc, (d) => d.addAttachment('a', upload))).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
    })
    await expect(db.changeDoc(doc, (d) => d.removeAttachment('nope'))).rejects.toMatchObject({
      code: ErrorCodes.ATTACHMENT_NOT_FOUND,
    })
    await expect(
      db.writeAttachment(doc, new Uint8Array(10), { chunkSizes: { min: 10, avg: 1000, max: 10 } }),
    ).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT })
    // A record that does not parse is refused when read, not trusted.
    await db.changeDoc(
      doc,
      (d) => void ((d.getData() as Record<string, unknown>)['weft:attachment/bad'] = new Uint8Array([1, 2])),
    )
    expect(() => doc.getAttachmentInfo('bad')).toThrow(
      expect.objectContaining({ code: ErrorCodes.MALFORMED_ATTACHMENT }),
    )
  })

  it('survive reopening the database: chunks and records come back from the store', async () => {
    const storeFactory = new MemoryStoreFactory()
    const factory = new TenantFactory({ storeFactory, kdf: TEST_KDF })
    const tenant = await factory.createTenant({ tenantId: 'reopen', password: 'pw' })
    const db = await tenant.openDB('files', { snapshotEvery: 2 })
    const doc = await db.createDocument()
    const data = bytes(30_000, 3)
    await db.changeDoc(doc, (d) => d.addAttachment('a.bin', data, { chunkSizes: SMALL }))
    await db.changeDoc(doc, (d) => void (d.getData().note = 'snapshot after this'))
    await tenant.close()
    const again = await (await factory.openTenant('reopen', { password: 'pw' })).openDB('files')
    expect(await (await again.getDocument(doc.getId()))!.getAttachment('a.bin')).toEqual(data)
  })
})

describe('lazily synced attachments', () => {
  it('pull documents without chunks, fetch them on first read and keep them; a read cut short resumes', async () => {
    const { dbs, tenants } = await partners(['lazy-src', 'lazy-dst'], 'files', 'files-key')
    const db = dbs[0]!
    const doc = await db.createDocument({ data: { title: 'big' } })
    const data = bytes(120_000, 5)
    await db.changeDoc(doc, (d) => d.addAttachment('big.bin', data, { chunkSizes: SMALL }))
    const total = await chunkCount(db)

    // Settled on the already open database: no call chose `attachments` before.
    const lazy = await tenants[1]!.openDB('files', { attachments: 'lazy' })
    expect(lazy).toBe(dbs[1])
    const report = await lazy.pullChangesFrom(db)
    expect(report.rejected).toEqual([])
    expect(await chunkCount(lazy)).toBe(0)
    const copy = (await lazy.getDocument(doc.getId()))!
    expect(copy.getData().title).toBe('big')
    expect(copy.getAttachmentInfo('big.bin')!.size).toBe(120_000)

    // A read stopped after the first pieces keeps what it fetched...
    let got = 0
    for await (const piece of copy.streamAttachment('big.bin')) {
      got += piece.length
      if (got > 20_000) break
    }
    const kept = await chunkCount(lazy)
    expect(kept).toBeGreaterThan(0)
    expect(kept).toBeLessThan(total)
    // ...and a later read fetches only the rest.
    expect(await copy.getAttachment('big.bin')).toEqual(data)
    expect(await chunkCount(lazy)).toBe(total)

    // Chunks added later come with the next read, from the source the pull remembered.
    await db.changeDoc(doc, (d) => d.addAttachment('more.bin', bytes(5_000, 11), { chunkSizes: SMALL }))
    await lazy.pullChangesFrom(db)
    expect(await (await lazy.getDocument(doc.getId()))!.getAttachment('more.bin')).toEqual(bytes(5_000, 11))
  })

  it('incremental sync into a lazy database leaves chunks out and fetches them from its source on read', async () => {
    const { dbs } = await partners(['inc-src', 'inc-dst'], 'files', 'files-key')
    const [db, lazy] = [dbs[0]!, dbs[1]!]
    lazy.adoptOptions({ attachments: 'lazy' })
    expect(lazy.attachmentSync).toBe('lazy')
    const doc = await db.createDocument({ data: { n: 1 } })
    await db.changeDoc(doc, (d) => d.addAttachment('a.bin', bytes(30_000, 8), { chunkSizes: SMALL }))
    const state = await incrementalSync(db, lazy)
    expect(state.lastSent).toBe(2)
    expect(await chunkCount(lazy)).toBe(0)
    const copy = (await lazy.getDocument(doc.getId()))!
    expect(await copy.getAttachment('a.bin')).toEqual(bytes(30_000, 8))
    expect(await chunkCount(lazy)).toBe(await chunkCount(db))
    // An eager target gets chunks with the documents.
    const eager = await database()
    expect((await incrementalSync(db, eager.db.getStore())).lastSent).toBe(2 + (await chunkCount(db)))
  })

  it('a lazy database with no source says the chunk is unavailable; the option is settled like the others', async () => {
    const { dbs, tenants } = await partners(['nosource-src', 'nosource-dst'], 'files', 'files-key')
    const [db, lazy] = [dbs[0]!, dbs[1]!]
    const doc = await db.createDocument()
    await db.changeDoc(doc, (d) => d.addAttachment('a.bin', bytes(10_000), { chunkSizes: SMALL }))
    await expect(tenants[1]!.openDB('files', { attachments: 'lazy' })).resolves.toBe(lazy)
    await expect(tenants[1]!.openDB('files', { attachments: 'eager' })).rejects.toMatchObject({
      code: ErrorCodes.DB_OPTIONS_CONFLICT,
    })
    await expect(tenants[0]!.openDB('files', { attachments: 'sometimes' as 'lazy' })).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
    })
    const other = { db: lazy }
    // Copy only the document's change entries, as a lazy pull from a source since forgotten would.
    const page = await db.getStore().scan(null, { limit: 1_000 })
    const changes = page.entries.filter((e) => e.kind !== 'chunk').map((e) => e.hash)
    await other.db.getStore().appendMany(await db.getStore().getChanges(changes))
    await other.db.syncStoreChanges(changes)
    const copy = (await other.db.getDocument(doc.getId()))!
    await expect(copy.getAttachment('a.bin')).rejects.toMatchObject({ code: ErrorCodes.ATTACHMENT_UNAVAILABLE })
    other.db.fetchAttachmentsFrom(db)
    expect(await copy.getAttachment('a.bin')).toEqual(bytes(10_000))
  })

  it('an interrupted write keeps its chunks, and writing the same data again stores only the rest', async () => {
    const { db } = await database()
    const doc = await db.createDocument()
    const data = bytes(300_000, 21)
    const abort = new AbortController()
    async function* failing() {
      for (let i = 0; i < data.length; i += 10_000) {
        if (i === 150_000) throw new Error('connection lost')
        yield data.subarray(i, i + 10_000)
      }
    }
    await expect(db.writeAttachment(doc, failing(), { chunkSizes: SMALL, signal: abort.signal })).rejects.toThrow(
      'connection lost',
    )
    const partial = await chunkCount(db)
    const upload = await db.writeAttachment(doc, data, { chunkSizes: SMALL })
    const written = await chunkCount(db)
    expect(written).toBe(upload.record.chunks.length)
    // Only the chunks of the second half (and the one the failure cut) were new.
    expect(written - partial).toBeLessThan(upload.record.chunks.length * 0.6)
    await db.changeDoc(doc, (d) => d.addAttachment('a.bin', upload))
    expect(await (await db.getDocument(doc.getId()))!.getAttachment('a.bin')).toEqual(data)
  })
})
