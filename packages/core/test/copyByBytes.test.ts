// A copy between stores holds a bounded number of bytes, however large its entries: each batch ends
// once its entries reach `maxBatchBytes`, and a store is read a few entries at a time.

import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { copyEntries, type CappedEntries, type ChangeHash, type EntryEnvelope } from '../src/backend.ts'
import { ready } from '../src/crypto/index.ts'
import type { ParsedEntry } from '../src/entries/index.ts'
import { MemoryChangeStore } from '../src/store/MemoryChangeStore.ts'
import { EntryFactory } from '../src/store/conformance/fixtures.ts'
import { AppendRecorder } from '../src/store/conformance/AppendRecorder.ts'
import { incrementalSync, MemoryStoreFactory, TenantFactory, TEST_KDF } from '../src/index.ts'

beforeAll(ready)

const KiB = 1024

const bytesOf = (entries: readonly EntryEnvelope[]): number => entries.reduce((n, e) => n + e.bytes.length, 0)

/** A memory store that records the bytes of every read it answers. */
class ReadRecorder extends MemoryChangeStore {
  readonly reads: number[] = []
  override async getChanges(hashes: readonly ChangeHash[]): Promise<EntryEnvelope[]> {
    const entries = await super.getChanges(hashes)
    this.reads.push(bytesOf(entries))
    return entries
  }
  override async getChangesUpTo(hashes: readonly ChangeHash[], maxBytes: number): Promise<CappedEntries> {
    const read = await super.getChangesUpTo(hashes, maxBytes)
    this.reads.push(bytesOf(read.entries))
    return read
  }
}

/** Entries of the given payload sizes, in that order, over a few documents of one author. */
function entriesOfSizes(sizes: readonly number[]): ParsedEntry[] {
  const f = new EntryFactory(4)
  return sizes.map((size, i) => f.entry(i, [], size))
}

/**
 * A source holding `entries`. `sized` (the default): it caps a read by its entries' sizes
 * (`getChangesUpTo`), as a memory store and PostgreSQL do; otherwise it does not say (LevelDB,
 * IndexedDB), and is read a few entries at a time.
 */
async function sourceOf(entries: readonly ParsedEntry[], sized = true): Promise<ReadRecorder> {
  const source = new ReadRecorder()
  await source.appendMany(entries.map((e) => ({ hash: e.hash, bytes: e.bytes.slice() })))
  source.reads.length = 0
  return sized ? source : Object.assign(source, { getChangesUpTo: undefined })
}

const SOURCES = [
  ['capping reads by size', true],
  ['read a few entries at a time', false],
] as const

describe('copying large entries', () => {
  it.each(SOURCES)(
    'reads and appends at most maxBatchBytes at a time, even where small entries give way to large ones, from a source %s',
    async (_, sized) => {
      // Small entries, then large ones (an attachment's chunks, in arrival order), then small again:
      // 6 MB in all, which one batch of the default size would have held whole.
      const sizes = [...Array(200).fill(32), ...Array(60).fill(100 * KiB), ...Array(200).fill(32)]
      const entries = entriesOfSizes(sizes)
      const source = await sourceOf(entries, sized)
      const target = new AppendRecorder()
      const maxBatchBytes = 1024 * KiB
      const copied = await copyEntries(
        source,
        target,
        entries.map((e) => e.hash),
        2_000,
        { maxBatchBytes },
      )
      expect(copied.added).toHaveLength(entries.length)
      expect(copied.bytes).toBe(bytesOf(entries))
      expect(copied.bytes).toBeGreaterThan(5.5 * maxBatchBytes)
      for (const bytes of target.appends) expect(bytes).toBeLessThanOrEqual(maxBatchBytes)
      for (const bytes of source.reads) expect(bytes).toBeLessThanOrEqual(maxBatchBytes)
      expect(target.appends.length).toBeGreaterThanOrEqual(6)
      // Small entries still go in few batches: the cap cuts only where the bytes are.
      expect(target.appends.length).toBeLessThan(12)
    },
  )

  it('a database pushes its attachment in batches within the cap it is given', async () => {
    const tenant = await new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF }).createTenant({
      tenantId: 'bytes',
      password: 'pw',
    })
    const db = await tenant.openDB('files')
    const doc = await db.createDocument()
    const data = new Uint8Array(3 * 1024 * KiB).map((_, i) => (i * 2654435761) >>> 24)
    const upload = await db.writeAttachment(doc, data)
    await db.changeDoc(doc, (d) => d.addAttachment('file.bin', upload))
    const target = new AppendRecorder()
    const maxBatchBytes = 600 * KiB
    const report = await db.pushChangesTo(target, { maxBatchBytes })
    expect(report.rejected).toEqual([])
    expect(new Set(await target.getAllChangeHashes())).toEqual(new Set(await db.getStore().getAllChangeHashes()))
    expect(target.appends.length).toBeGreaterThanOrEqual(5)
    for (const bytes of target.appends) expect(bytes).toBeLessThanOrEqual(maxBatchBytes)
    await tenant.close()
  })

  it('a database pulling an attachment does not read its chunks back from its own store', async () => {
    const factory = new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF })
    const supplier = await factory.createTenant({ tenantId: 'supplier', password: 'pw' })
    await supplier.keyBag.generateKey('files-key')
    const source = await supplier.openDB('files')
    const doc = await source.createDocument({ keyId: 'files-key' })
    const data = new Uint8Array(2 * 1024 * KiB)
    for (let i = 0, x = 88172645; i < data.length; i++) {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      data[i] = x & 0xff
    }
    await source.changeDoc(doc, (d) => d.addAttachment('file.bin', data))
    const customer = await factory.createTenant({ tenantId: 'customer', password: 'pw' })
    await customer.addPartner(supplier.publicProfile(), { dbs: ['files'] })
    await customer.acceptSharedKey(supplier.shareKey('files-key', customer.publicProfile()))
    const target = await customer.openDB('files')
    const store = target.getStore()
    let readBack = 0
    const getChanges = store.getChanges.bind(store)
    store.getChanges = async (hashes) => {
      const entries = await getChanges(hashes)
      readBack += bytesOf(entries)
      return entries
    }
    const report = await target.pullChangesFrom(source, { maxBatchBytes: 512 * KiB })
    expect(report.rejected).toEqual([])
    expect(report.transferred).toBeGreaterThan(20)
    // The chunks (2 MiB) were not read back to learn their kind; the document materialised.
    expect(readBack).toBeLessThan(64 * KiB)
    const pulled = await target.getDocument(doc.getId())
    expect(await pulled!.getAttachment('file.bin')).toEqual(data)
    await customer.close()
    await supplier.close()
  })

  it('fails with a storage error, never loops, when a checked read answers none of the hashes', async () => {
    const source = await sourceOf(entriesOfSizes([32, 32]))
    const stuck = Object.assign(source, {
      getChangesChecked: async () => ({ entries: [], rejected: [], taken: 0 }),
    })
    await expect(
      copyEntries(stuck, new MemoryChangeStore(), await source.getAllChangeHashes(), 10),
    ).rejects.toMatchObject({ code: 'WEFT_STORAGE_ERROR' })
  })

  it('fails with a storage error, never loops, when a capped read answers none of the hashes', async () => {
    const source = await sourceOf(entriesOfSizes([32, 32]))
    const stuck = Object.assign(source, { getChangesUpTo: async () => ({ entries: [], taken: 0 }) })
    await expect(
      copyEntries(stuck, new MemoryChangeStore(), await source.getAllChangeHashes(), 10),
    ).rejects.toMatchObject({ code: 'WEFT_STORAGE_ERROR' })
  })

  it('an incremental sync appends batches within the cap it is given', async () => {
    const sizes = [...Array(20).fill(32), ...Array(30).fill(100 * KiB)]
    const entries = entriesOfSizes(sizes)
    const source = await sourceOf(entries)
    const target = new AppendRecorder()
    const maxBatchBytes = 1024 * KiB
    const state = await incrementalSync(source, target, undefined, { maxBatchBytes })
    expect(state.lastSent).toBe(entries.length)
    expect(target.appends.length).toBeGreaterThanOrEqual(3)
    for (const bytes of target.appends) expect(bytes).toBeLessThanOrEqual(maxBatchBytes)
  })

  it('refuses a cap that is not a positive number', async () => {
    const source = await sourceOf(entriesOfSizes([32]))
    for (const maxBatchBytes of [0, -1, Number.NaN])
      await expect(
        copyEntries(source, new MemoryChangeStore(), await source.getAllChangeHashes(), 10, { maxBatchBytes }),
      ).rejects.toMatchObject({ code: 'WEFT_INVALID_ARGUMENT' })
  })

  it.each(SOURCES)(
    'copies every entry whatever the sizes, batch size and cap, each batch within the cap and one entry, from a source %s (property)',
    async (_, sized) => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 20 * KiB, max: 300 * KiB })), {
            minLength: 1,
            maxLength: 40,
          }),
          fc.integer({ min: 1, max: 50 }),
          fc.integer({ min: 16 * KiB, max: 2048 * KiB }),
          async (sizes, batchSize, maxBatchBytes) => {
            const entries = entriesOfSizes(sizes)
            const source = await sourceOf(entries, sized)
            const target = new AppendRecorder()
            const hashes = entries.map((e) => e.hash)
            const copied = await copyEntries(source, target, hashes, batchSize, { maxBatchBytes })
            expect(new Set(copied.added)).toEqual(new Set(hashes))
            expect(new Set(await target.getAllChangeHashes())).toEqual(new Set(hashes))
            const largest = Math.max(...entries.map((e) => e.bytes.length))
            for (const bytes of target.appends) expect(bytes).toBeLessThanOrEqual(maxBatchBytes + largest)
          },
        ),
        { numRuns: 25 },
      )
    },
  )
})
