import fc from 'fast-check'
import { expect, it } from 'vitest'
import type { ChangeHash, Cursor } from '../../types.ts'
import type { ChangeStore, HashRange } from '../ChangeStore.ts'
import { fingerprintOf } from '../fingerprint.ts'
import { EntryFactory, envelope } from './fixtures.ts'
import type { StoreHarness } from './runChangeStoreTests.ts'

const hex = (minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength, maxLength })

/** Walks a store from `since` to its end; every hash yielded, and whether it started over. */
async function walk(
  store: ChangeStore,
  since: Cursor | null,
  limit = 3,
): Promise<{ hashes: ChangeHash[]; cursor: Cursor | null; reset: boolean }> {
  const hashes: ChangeHash[] = []
  let cursor = since
  let reset = false
  for (;;) {
    const page = await store.scan(cursor, { limit })
    if (page.reset) {
      reset = true
      hashes.length = 0
    }
    hashes.push(...page.entries.map((e) => e.hash))
    cursor = page.cursor
    if (page.done) return { hashes, cursor, reset }
  }
}

/**
 * The conformance cases of the range-fingerprint index (every backend): fingerprints and range
 * listings agree with the hashes held, after any sequence of appends.
 */
export function indexTests(setup: () => Promise<StoreHarness>): void {
  it('keeps range fingerprints equal to the fingerprint of the hashes in the range, after any appends', async () => {
    const pool = new EntryFactory().entries(40)
    const sorted = (hs: string[]) => [...hs].sort()
    // Bounds: anything, prefixes of held hashes of every length (leaf buckets and their edges), held hashes.
    const bound = fc.oneof(
      fc.constant(''),
      hex(1, 6),
      fc.tuple(fc.nat(39), fc.integer({ min: 1, max: 64 })).map(([i, n]) => pool[i]!.hash.slice(0, n)),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.nat(39), { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(bound, fc.option(bound, { nil: null }), fc.integer({ min: 1, max: 12 })), {
          minLength: 1,
          maxLength: 6,
        }),
        async (batches, ranges) => {
          const local = await setup()
          try {
            const held = new Set<string>()
            for (const b of batches) {
              await local.store.appendMany(b.map((i) => envelope(pool[i]!)))
              b.forEach((i) => held.add(pool[i]!.hash))
              for (const [lower, upper, limit] of ranges) {
                const range: HashRange = { lower, upper }
                const inside = sorted([...held].filter((x) => x >= lower && (upper === null || x < upper)))
                expect(await local.store.fingerprint(range)).toEqual(fingerprintOf(inside))
                expect(await local.store.hashesInRange(range, { limit })).toEqual(inside.slice(0, limit))
              }
            }
            expect(await local.store.fingerprint({ lower: '', upper: null })).toEqual(fingerprintOf(held))
          } finally {
            await local.teardown()
          }
        },
      ),
      { numRuns: 12 },
    )
  })
}

/**
 * The conformance case of restores (backends that can take a backup and put it back): a cursor
 * carries a check of its position, and a store whose entry at that position differs starts over.
 */
export function restoreTests(harness: () => StoreHarness): void {
  it('starts a cursor over on a store restored from an older copy that has since grown past it', async () => {
    const h = harness()
    const pool = new EntryFactory().entries(12)
    await h.store.appendMany(pool.slice(0, 3).map(envelope))
    const { store, restore } = await h.backup!() // the backup holds 3
    await store.appendMany(pool.slice(3, 5).map(envelope))
    const reader = await walk(store, null) // a reader that has seen all 5
    expect(reader.hashes).toEqual(pool.slice(0, 5).map((e) => e.hash))
    expect(reader.cursor!.seq).toBe(5)

    const restored = await restore() // back to 3, same epoch
    expect((await restored.head()).epoch).toBe(reader.cursor!.epoch)
    const written = pool.slice(5, 12) // 7 written after the restore: the store is at 10, past the reader's 5
    await restored.appendMany(written.map(envelope))
    const after = await walk(restored, reader.cursor)
    expect(after.reset).toBe(true)
    expect(after.hashes).toEqual([...pool.slice(0, 3), ...written].map((e) => e.hash))
    // From here the walk goes on without starting over.
    await restored.append(envelope(pool[3]!))
    const next = await walk(restored, after.cursor)
    expect(next).toMatchObject({ reset: false, hashes: [pool[3]!.hash] })
  })
}

/** The position check of cursors, on any store. */
export function cursorCheckTests(harness: () => StoreHarness): void {
  it('keeps a cursor whose position check matches, and starts over one whose check names another entry', async () => {
    const h = harness()
    const pool = new EntryFactory().entries(4)
    await h.store.appendMany(pool.map(envelope))
    const page = await h.store.scan(null, { limit: 2 })
    expect(page.cursor.at).toBeTypeOf('string')
    expect(pool[1]!.hash.startsWith(page.cursor.at!)).toBe(true)
    expect((await h.store.scan(page.cursor)).reset).toBe(false)
    const wrong = { ...page.cursor, at: pool[2]!.hash.slice(0, page.cursor.at!.length) }
    const again = await h.store.scan(wrong)
    expect(again.reset).toBe(true)
    expect(again.entries.map((e) => e.hash)).toEqual(pool.map((e) => e.hash))
    // A cursor without a check (made before it existed) is taken at its word.
    const { at: _, ...old } = page.cursor
    expect((await h.store.scan(old)).entries.map((e) => e.hash)).toEqual(pool.slice(2).map((e) => e.hash))
  })
}
