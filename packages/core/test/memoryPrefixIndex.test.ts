import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { fingerprintOf, inRange, ready, type HashRange } from '../src/backend.ts'
import { MemoryPrefixIndex } from '../src/store/MemoryPrefixIndex.ts'
import type { ChangeHash } from '../src/types.ts'
import { crowdedHashes, rangeBound } from './helpers/crowdedHashes.ts'

beforeAll(ready)

/** Hashes crowded under a few prefixes, so ranges cut through nodes and buckets of every depth. */
const PREFIXES = ['0', 'a7', 'a7c', 'a7cf', 'fff', 'ffff']
const hashes = crowdedHashes(PREFIXES, 80)
const bound = rangeBound(PREFIXES, 3)

describe('the memory store prefix index', () => {
  it('gives every range the fingerprint and the hashes in it, however the hashes were added', async () => {
    await fc.assert(
      fc.asyncProperty(
        hashes,
        fc.integer({ min: 0, max: 80 }),
        bound,
        fc.option(bound),
        fc.integer({ min: 1, max: 90 }),
        async (held, split, lower, upper, limit) => {
          const index = new MemoryPrefixIndex()
          index.add(held.slice(0, split))
          index.add(held.slice(split))
          const range: HashRange = { lower, upper }
          const inside = held.filter((h) => inRange(h, range)).sort()
          expect(await index.fingerprint(range)).toEqual(fingerprintOf(inside))
          expect(index.hashesInRange(range, Infinity)).toEqual(inside)
          expect(index.hashesInRange(range, limit)).toEqual(inside.slice(0, limit))
        },
      ),
      { numRuns: 400 },
    )
  })

  it('keeps sums modulo 2^128 when they overflow', async () => {
    const top = Array.from({ length: 5 }, (_, i) => `fff${'f'.repeat(60)}${i}` as ChangeHash)
    const index = new MemoryPrefixIndex()
    index.add(top)
    expect(await index.fingerprint({ lower: '', upper: null })).toEqual(fingerprintOf(top))
    expect(await index.fingerprint({ lower: 'ff', upper: null })).toEqual(fingerprintOf(top))
  })

  it('refuses a hash that is not lowercase hex, before it counts anywhere', async () => {
    const index = new MemoryPrefixIndex()
    expect(() => index.add([`${'A'.repeat(64)}` as ChangeHash])).toThrow(RangeError)
    expect(await index.fingerprint({ lower: '', upper: null })).toEqual(fingerprintOf([]))
  })
})
