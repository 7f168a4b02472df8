import fc from 'fast-check'
import { expect, it } from 'vitest'
import type { HashRange } from '../ChangeStore.ts'
import { fingerprintOf } from '../fingerprint.ts'
import { EntryFactory, envelope } from './fixtures.ts'
import type { StoreHarness } from './runChangeStoreTests.ts'

const hex = (minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength, maxLength })
const f = () => new EntryFactory()

/** Range fingerprints and listings, one range and many at once, against the hashes a store holds. */
export function fingerprintTests(h: () => StoreHarness): void {
  it('fingerprints ranges consistently with the hashes they hold', async () => {
    const pool = f().entries(30)
    await h().store.appendMany(pool.map(envelope))
    const sorted = pool.map((e) => e.hash).sort()
    const bound = fc.oneof(fc.constant(''), hex(1, 64), fc.constantFrom(...sorted))
    await fc.assert(
      fc.asyncProperty(bound, fc.option(bound, { nil: null }), async (lower, upper) => {
        const range: HashRange = { lower, upper }
        const inside = sorted.filter((x) => x >= lower && (upper === null || x < upper))
        expect(await h().store.hashesInRange(range)).toEqual(inside)
        expect(await h().store.fingerprint(range)).toEqual(fingerprintOf(inside))
      }),
      { numRuns: 60 },
    )
    const all = await h().store.fingerprint({ lower: '', upper: null })
    expect(all.count).toBe(30)
    expect(await h().store.hashesInRange({ lower: '', upper: null }, { limit: 4 })).toEqual(sorted.slice(0, 4))
  })

  it('keeps fingerprints exact across appends that repeat held entries, however they are batched', async () => {
    const pool = f().entries(24)
    const held = new Set<string>()
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.nat({ max: pool.length - 1 }), { minLength: 1, maxLength: 8 }), { maxLength: 4 }),
        async (batches) => {
          for (const batch of batches) {
            await h().store.appendMany(batch.map((i) => envelope(pool[i]!)))
            for (const i of batch) held.add(pool[i]!.hash)
          }
          const sorted = [...held].sort()
          // The whole range, and the ranges under one and two characters, as reconciliation asks.
          for (const [lower, upper] of [
            ['', null],
            ['4', '8'],
            ['8', null],
            ['a3', 'a4'],
          ] as const)
            expect(await h().store.fingerprint({ lower, upper })).toEqual(
              fingerprintOf(sorted.filter((x) => x >= lower && (upper === null || x < upper))),
            )
        },
      ),
      { numRuns: 20 },
    )
  })

  it('fingerprints many ranges together exactly as one at a time, in their order', async () => {
    const pool = f().entries(30)
    await h().store.appendMany(pool.map(envelope))
    const sorted = pool.map((e) => e.hash).sort()
    const bound = fc.oneof(fc.constant(''), hex(1, 64), fc.constantFrom(...sorted))
    const range = fc.record({ lower: bound, upper: fc.option(bound, { nil: null }) })
    await fc.assert(
      fc.asyncProperty(fc.array(range, { maxLength: 20 }), async (ranges) => {
        // Repeats, empty and inverted ranges included: each answer is that range's own.
        const all = await h().store.fingerprints!(ranges)
        expect(all).toEqual(
          ranges.map((r) => fingerprintOf(sorted.filter((x) => x >= r.lower && (r.upper === null || x < r.upper)))),
        )
      }),
      { numRuns: 30 },
    )
  })
}
