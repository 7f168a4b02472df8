import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  addToIndex,
  decodeSum,
  encodeSum,
  fingerprintOf,
  indexedFingerprint,
  indexedFingerprints,
  inRange,
  ready,
  type FingerprintSum,
  type HashRange,
} from '../src/backend.ts'
import { toHex } from '../src/codec/index.ts'
import { hashLimbsInto } from '../src/store/fingerprint.ts'
import { crowdedHashes, rangeBound } from './helpers/crowdedHashes.ts'

beforeAll(ready)

/** Hashes crowded under a few prefixes, so ranges cut through nodes of every depth. */
const PREFIXES = ['0', 'a7', 'a7c', 'ff0f']
const hashes = crowdedHashes(PREFIXES, 60)
const bound = rangeBound(PREFIXES, 4)

describe('the prefix-sum index at any depth', () => {
  it('gives every range the fingerprint of the hashes in it', async () => {
    await fc.assert(
      fc.asyncProperty(
        hashes,
        fc.integer({ min: 0, max: 5 }),
        bound,
        fc.option(bound),
        async (held, depth, lower, upper) => {
          const nodes = new Map<string, FingerprintSum>()
          addToIndex(nodes, held.slice(0, held.length >> 1), depth)
          addToIndex(nodes, held.slice(held.length >> 1), depth) // in two appends, as a store would
          const range: HashRange = { lower, upper }
          const got = await indexedFingerprint(
            range,
            {
              sums: async (prefixes) => {
                // Only nodes of the index's own depths are asked for.
                for (const p of prefixes) expect(p.length).toBeLessThanOrEqual(depth)
                return prefixes.map((p) => nodes.get(p))
              },
              hashes: async (r) => {
                // A leaf scan stays inside one bucket: both bounds share their first `depth` characters.
                expect(r.upper).not.toBeNull()
                expect(r.lower.slice(0, depth)).toBe(r.upper!.slice(0, depth))
                return held.filter((h) => inRange(h, r))
              },
            },
            depth,
          )
          expect(got).toEqual(fingerprintOf(held.filter((h) => inRange(h, range))))
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('the prefix-sum index, many ranges at once', () => {
  it('gives each range what it gives alone, with one read of nodes', async () => {
    await fc.assert(
      fc.asyncProperty(
        hashes,
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.record({ lower: bound, upper: fc.option(bound) }), { maxLength: 12 }),
        async (held, depth, ranges) => {
          const nodes = new Map<string, FingerprintSum>()
          addToIndex(nodes, held, depth)
          let sumsReads = 0
          const got = await indexedFingerprints(
            ranges,
            {
              sums: async (prefixes) => {
                sumsReads++
                expect(new Set(prefixes).size).toBe(prefixes.length) // each node read once
                return prefixes.map((p) => nodes.get(p))
              },
              hashes: async (r) => held.filter((h) => inRange(h, r)),
            },
            depth,
          )
          expect(got).toEqual(ranges.map((r) => fingerprintOf(held.filter((h) => inRange(h, r)))))
          expect(sumsReads).toBeLessThanOrEqual(1)
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('reading a hash into fingerprint limbs', () => {
  it('reads the first 16 bytes big-endian, as the bytes of the hex say', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const view = new DataView(bytes.buffer, bytes.byteOffset)
        const expected = [0, 1, 2, 3].map((i) => view.getUint32(i * 4))
        expect([...hashLimbsInto(toHex(bytes), new Uint32Array(4))]).toEqual(expected)
      }),
    )
  })

  it('refuses a hash that does not start with 32 lowercase hex digits', () => {
    const good = 'ab'.repeat(32)
    for (const bad of [
      good.slice(0, 31),
      'AB' + good.slice(2),
      good.slice(0, 20) + 'g' + good.slice(21),
      ' '.repeat(64),
    ])
      expect(() => hashLimbsInto(bad, new Uint32Array(4))).toThrow(RangeError)
    // Past the first 32 digits nothing is read.
    expect([...hashLimbsInto(good.slice(0, 32) + 'zz', new Uint32Array(4))]).toEqual(Array(4).fill(0xabababab))
  })
})

describe('an index node as stored', () => {
  it('is the count and the four limbs as 32 hex digits, most significant first, and reads back the same', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 4, maxLength: 4 }),
        (count, limbs) => {
          const sum: FingerprintSum = { count, limbs: Uint32Array.from(limbs) }
          const stored = encodeSum(sum)
          // Stores written by earlier versions hold this exact text, so it must not change.
          expect(stored).toBe(`${count}:${limbs.map((l) => l.toString(16).padStart(8, '0')).join('')}`)
          const read = decodeSum(stored)!
          expect(read.count).toBe(count)
          expect([...read.limbs]).toEqual(limbs)
        },
      ),
    )
  })

  it('reads exactly the texts of that form and refuses every other', () => {
    const form = /^(\d{1,16}):([0-9a-f]{32})$/
    const good = fc
      .tuple(
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 4, maxLength: 4 }),
      )
      .map(([count, limbs]) => encodeSum({ count, limbs: Uint32Array.from(limbs) }))
    // Stored texts with one character changed, dropped or added, and arbitrary strings.
    const near = fc
      .tuple(good, fc.nat(), fc.constantFrom('', '0', 'a', 'A', 'g', ':', ' ', '-'))
      .chain(([text, at, c]) =>
        fc.constantFrom(
          text.slice(0, at % (text.length + 1)) + c + text.slice((at % (text.length + 1)) + 1),
          text.slice(0, at % (text.length + 1)) + c + text.slice(at % (text.length + 1)),
        ),
      )
    fc.assert(
      fc.property(fc.oneof(good, near, fc.string({ maxLength: 60 })), (text) => {
        const read = decodeSum(text)
        const m = form.exec(text)
        expect(read !== undefined).toBe(m !== null)
        if (m && read) expect(encodeSum(read)).toBe(`${Number(m[1])}:${m[2]}`)
      }),
      { numRuns: 2_000 },
    )
  })
})
