import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { MemoryChangeStore, ready, type ChangeHash, type ChangeStore } from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing'
import { readEntriesCapped } from '../src/readEntriesCapped.ts'

describe('readEntriesCapped', () => {
  const store = new MemoryChangeStore()
  let held: { hash: ChangeHash; size: number }[] = []
  const absent = Array.from({ length: 5 }, (_, i) => i.toString(16).padStart(2, '0').repeat(32) as ChangeHash)
  beforeAll(async () => {
    await ready()
    const f = new EntryFactory(30)
    const entries = Array.from({ length: 30 }, (_, i) => envelope(f.entry(i, [], 50 + ((i * 997) % 3_000))))
    await store.appendMany(entries)
    held = entries.map((e) => ({ hash: e.hash, size: e.bytes.length }))
  })

  /** The memory store, which caps reads by size itself (as PostgreSQL does), counting its reads. */
  const sized = () => {
    const reader = {
      reads: 0,
      getChanges: (hashes: readonly ChangeHash[]) => store.getChanges(hashes),
      getChangesUpTo: (hashes: readonly ChangeHash[], maxBytes: number) => {
        reader.reads++
        return store.getChangesUpTo(hashes, maxBytes)
      },
    }
    return reader
  }
  /** A store that does not say its entries' sizes (LevelDB, IndexedDB). */
  const plain = { getChanges: (hashes: readonly ChangeHash[]) => store.getChanges(hashes) }

  for (const kind of ['a few entries at a time', 'capped by the store'] as const) {
    it(`answers a prefix of the hashes, in order, within the byte cap (a first entry larger than it alone), read ${kind}`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.nat({ max: 34 }), { maxLength: 40 }),
          fc.integer({ min: 1, max: 20_000 }),
          async (picks, maxBytes) => {
            const hashes = picks.map((i) => (i < 30 ? held[i]!.hash : absent[i - 30]!))
            const reader = kind === 'capped by the store' ? sized() : plain
            const r = await readEntriesCapped(reader, hashes, { maxBytes, maxEntryBytes: 3_300 })
            const expected = hashes.slice(0, r.taken).flatMap((h) => held.filter((x) => x.hash === h))
            expect(r.entries.map((e) => e.hash)).toEqual(expected.map((x) => x.hash))
            expect(r.bytes).toBe(expected.reduce((n, x) => n + x.size, 0))
            if (r.entries.length > 1) expect(r.bytes).toBeLessThanOrEqual(maxBytes)
            if (r.taken < hashes.length) {
              // Cut only where the next held entry would not fit.
              const next = held.find((x) => x.hash === hashes[r.taken])
              expect(next).toBeDefined()
              expect(r.entries.length > 0 && r.bytes + next!.size > maxBytes).toBe(true)
            }
            // A store that caps reads itself is read once.
            if ('reads' in reader) expect(reader.reads).toBe(hashes.length ? 1 : 0)
          },
        ),
        { numRuns: 200 },
      )
    })
  }

  it('refuses a capped read that covers none of the hashes (it would never end)', async () => {
    const stuck: Pick<ChangeStore, 'getChanges' | 'getChangesUpTo'> = {
      getChanges: (hashes) => store.getChanges(hashes),
      getChangesUpTo: () => Promise.resolve({ entries: [], taken: 0 }),
    }
    await expect(
      readEntriesCapped(stuck, [held[0]!.hash], { maxBytes: 1_000, maxEntryBytes: 1_000 }),
    ).rejects.toMatchObject({ code: 'WEFT_STORAGE_ERROR' })
  })
})
