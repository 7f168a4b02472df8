import { ErrorCodes, WeftError } from '../../errors.ts'

/** Chunk sizes of content-defined chunking, in bytes. */
export interface ChunkSizes {
  /** No cut before this many bytes (except the end of the data). */
  readonly min: number
  /** The size chunks tend to: a power of two. */
  readonly avg: number
  /** A cut is forced here. At most {@link MAX_CHUNK_BYTES}. */
  readonly max: number
}

/** Largest chunk a writer may ask for: an encrypted chunk must stay under a relay's entry limit (1 MiB by default). */
export const MAX_CHUNK_BYTES = 512 * 1024

/** Defaults: 16 KiB, 64 KiB, 256 KiB. A 100 MB file makes about 1,600 chunks. */
export const DEFAULT_CHUNK_SIZES: ChunkSizes = { min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 }

/**
 * The 256 gear values: fixed pseudo-random 32-bit words (SplitMix32 from a constant seed), so every
 * writer, in every build, cuts the same data at the same places.
 */
const GEAR = (() => {
  const gear = new Uint32Array(256)
  let x = 0x9e3779b9
  for (let i = 0; i < 256; i++) {
    x = (x + 0x9e3779b9) >>> 0
    let z = x
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    gear[i] = (z ^ (z >>> 16)) >>> 0
  }
  return gear
})()

/** The gear values, for the tests' plain statement of the cut rule; nothing else reads them. */
export const FASTCDC_GEAR_FOR_TESTS: Readonly<Uint32Array> = GEAR

/** A mask of the `bits` highest bits: with a left-shifting gear hash they carry the most recent 32 bytes. */
function highMask(bits: number): number {
  return bits <= 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
}

/** Checks sizes a caller gives; `WEFT_INVALID_ARGUMENT` for anything that could never chunk well. */
export function checkChunkSizes(sizes: ChunkSizes): ChunkSizes {
  const { min, avg, max } = sizes
  const ok =
    [min, avg, max].every((n) => Number.isSafeInteger(n) && n >= 64) &&
    (avg & (avg - 1)) === 0 &&
    min <= avg &&
    avg <= max &&
    max <= MAX_CHUNK_BYTES
  if (!ok)
    throw new WeftError(
      ErrorCodes.INVALID_ARGUMENT,
      `chunk sizes must be whole numbers with 64 <= min <= avg <= max <= ${MAX_CHUNK_BYTES} and avg a power of two`,
    )
  return sizes
}

/**
 * FastCDC (Xia et al., USENIX ATC 2016) with normalised chunking: a gear rolling hash over the
 * last 32 bytes, a harder mask before `avg` and an easier one after, cut points at `min` at the
 * earliest and `max` at the latest. Where a cut falls depends only on the bytes just before it
 * and the distance from the previous cut, so an edit moves only the cuts near it: the chunks
 * before it stay, and those after it are found again once a cut falls where it fell before.
 *
 * Fed bytes in any pieces; returns the lengths of the chunks it could close. {@link finish}
 * closes the last one. Holds no data: the caller keeps the bytes of the open chunk.
 */
export class FastCdc {
  readonly #sizes: ChunkSizes
  readonly #maskHard: number
  readonly #maskEasy: number
  #fp = 0
  /** Bytes of the open chunk seen so far. */
  #length = 0

  constructor(sizes: ChunkSizes = DEFAULT_CHUNK_SIZES) {
    this.#sizes = checkChunkSizes(sizes)
    const bits = Math.round(Math.log2(sizes.avg))
    this.#maskHard = highMask(bits + 2)
    this.#maskEasy = highMask(bits - 2)
  }

  /**
   * Scans `bytes`, which continue the data fed before; returns the lengths of the chunks closed in it.
   *
   * The cuts are those of the plain loop (each byte hashed, then tested from `min` on with the hard
   * mask below `avg` and the easy one from it, a cut forced at `max`), found in less time: the gear
   * hash keeps only its last 32 bytes (each shift pushes the oldest out of the word), so the first
   * `min - 32` bytes of a chunk are skipped unhashed, and each stretch between those sizes runs in
   * a loop of its own with no test of the length per byte.
   */
  push(bytes: Uint8Array): number[] {
    const cuts: number[] = []
    const { min, avg, max } = this.#sizes
    const n = bytes.length
    let fp = this.#fp
    let length = this.#length
    let i = 0
    while (i < n) {
      if (length < min - 32) {
        const step = Math.min(min - 32 - length, n - i)
        i += step
        length += step
        continue
      }
      // This stretch's last length, and the mask tested up to it (none before `min`).
      let last = max
      let mask = this.#maskEasy
      let test = true
      if (length < min - 1) {
        last = min - 1
        test = false
      } else if (length < avg - 1) {
        last = avg - 1
        mask = this.#maskHard
      }
      const from = i
      const stop = i + Math.min(last - length, n - i)
      let cut = false
      if (test) {
        while (i < stop) {
          fp = ((fp << 1) + GEAR[bytes[i++]!]!) >>> 0
          if ((fp & mask) === 0) {
            cut = true
            break
          }
        }
      } else for (; i < stop; i++) fp = ((fp << 1) + GEAR[bytes[i]!]!) >>> 0
      length += i - from
      if (cut || length >= max) {
        cuts.push(length)
        length = 0
        fp = 0
      }
    }
    this.#fp = fp
    this.#length = length
    return cuts
  }

  /** Closes the data: the length of the last chunk, or undefined when nothing is open. */
  finish(): number | undefined {
    const last = this.#length
    this.#length = 0
    this.#fp = 0
    return last > 0 ? last : undefined
  }
}

/** The chunk lengths of `data` in one call (for tests and small attachments). */
export function chunkLengths(data: Uint8Array, sizes: ChunkSizes = DEFAULT_CHUNK_SIZES): number[] {
  const cdc = new FastCdc(sizes)
  const cuts = cdc.push(data)
  const last = cdc.finish()
  return last === undefined ? cuts : [...cuts, last]
}
