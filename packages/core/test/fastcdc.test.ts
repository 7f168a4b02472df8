import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { chunkLengths, DEFAULT_CHUNK_SIZES, FastCdc } from '../src/index.ts'
import { FASTCDC_GEAR_FOR_TESTS } from '../src/db/attachments/fastcdc.ts'
import { noiseBytes as noise } from '../src/store/conformance/fixtures.ts'

interface Sizes {
  readonly min: number
  readonly avg: number
  readonly max: number
}

/**
 * The cut rule written as plainly as possible, one byte at a time: every writer must cut the same
 * data at the same places (chunks are deduplicated by content), so the fast scan is checked
 * against it.
 */
function referenceCuts(data: Uint8Array, sizes: Sizes): number[] {
  const bits = Math.round(Math.log2(sizes.avg))
  const high = (b: number) => (b <= 0 ? 0 : (0xffffffff << (32 - b)) >>> 0)
  const cuts: number[] = []
  let fp = 0
  let length = 0
  for (const byte of data) {
    length++
    fp = ((fp << 1) + FASTCDC_GEAR_FOR_TESTS[byte]!) >>> 0
    if (length < sizes.min) continue
    const mask = length < sizes.avg ? high(bits + 2) : high(bits - 2)
    if ((fp & mask) === 0 || length >= sizes.max) {
      cuts.push(length)
      length = 0
      fp = 0
    }
  }
  return length ? [...cuts, length] : cuts
}

const sizes = fc
  .record({ min: fc.integer({ min: 64, max: 3_000 }), avgBits: fc.integer({ min: 6, max: 12 }), over: fc.nat(6_000) })
  .map(({ min, avgBits, over }) => {
    const avg = Math.max(2 ** avgBits, 2 ** Math.ceil(Math.log2(min)))
    return { min, avg, max: avg + over }
  })

describe('FastCdc', () => {
  it('cuts 2 MiB of fixed data where every earlier release cut it (default sizes)', () => {
    expect(chunkLengths(noise(2 * 1024 * 1024, 88172645))).toEqual([
      71915, 66780, 70767, 77693, 74970, 69779, 25103, 79391, 29235, 133484, 65933, 26031, 29550, 71036, 22975, 68914,
      79687, 91310, 67070, 71655, 55772, 73959, 69334, 34491, 91165, 57981, 66523, 73066, 80362, 118935, 82286,
    ])
    expect(referenceCuts(noise(2 * 1024 * 1024, 88172645), DEFAULT_CHUNK_SIZES)).toEqual(
      chunkLengths(noise(2 * 1024 * 1024, 88172645)),
    )
  })

  it('cuts where the byte-at-a-time rule cuts, for any sizes, data and pieces it is fed in', () => {
    fc.assert(
      fc.property(
        sizes,
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.array(fc.nat(20_000), { maxLength: 12 }),
        (s, size, seed, splits) => {
          const data = noise(size, seed)
          const expected = referenceCuts(data, s)
          expect(chunkLengths(data, s)).toEqual(expected)
          // The same data in pieces: cuts may fall across a piece's end.
          const cdc = new FastCdc(s)
          const got: number[] = []
          let at = 0
          for (const cut of [...splits.map((x) => Math.min(x, size)).sort((a, b) => a - b), size]) {
            got.push(...cdc.push(data.subarray(at, Math.max(at, cut))))
            at = Math.max(at, cut)
          }
          const last = cdc.finish()
          expect(last === undefined ? got : [...got, last]).toEqual(expected)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('cuts at min, avg and max edges as the rule does: runs of one byte value and data shorter than min', () => {
    for (const s of [
      { min: 64, avg: 64, max: 64 },
      { min: 64, avg: 128, max: 128 },
      { min: 100, avg: 128, max: 300 },
    ])
      for (const value of [0, 1, 255])
        for (const size of [0, 1, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1_000]) {
          const data = new Uint8Array(size).fill(value)
          expect(chunkLengths(data, s)).toEqual(referenceCuts(data, s))
        }
  })
})
