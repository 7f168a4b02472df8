import { nibble, toHex } from '../codec/index.ts'
import { blake2b } from '../crypto/index.ts'
import type { HashRange, RangeFingerprint } from './ChangeStore.ts'

/** A partial fingerprint: a count and a sum modulo 2^128 (four 32-bit limbs, most significant first). */
export interface FingerprintSum {
  count: number
  readonly limbs: Uint32Array
}

/** An empty {@link FingerprintSum}. */
export const emptySum = (): FingerprintSum => ({ count: 0, limbs: new Uint32Array(4) })

/** The first 16 bytes of `hash` as four 32-bit limbs, most significant first. */
export function hashLimbs(hash: string): Uint32Array {
  return hashLimbsInto(hash, new Uint32Array(4))
}

/**
 * Writes the first 16 bytes of `hash` (32 lowercase hex digits) into `limbs`, most significant
 * first, and returns `limbs`. Throws a `RangeError` when `hash` does not start with 32 of them.
 */
export function hashLimbsInto(hash: string, limbs: Uint32Array): Uint32Array {
  if (hash.length < 32) throw new RangeError('not lowercase hex')
  for (let i = 0; i < 4; i++) {
    let limb = 0
    for (let j = i * 8; j < i * 8 + 8; j++) {
      const n = nibble(hash.charCodeAt(j))
      if (n < 0) throw new RangeError('not lowercase hex')
      limb = limb * 16 + n
    }
    limbs[i] = limb
  }
  return limbs
}

/** Adds the first 16 bytes of `hash` to `sum` (in place). */
export function addHashToSum(sum: FingerprintSum, hash: string): void {
  combineSums(sum, { count: 1, limbs: hashLimbs(hash) }, 1)
}

/** `into += other` (sign 1) or `into -= other` (sign -1), modulo 2^128, in place. */
export function combineSums(into: FingerprintSum, other: FingerprintSum, sign: 1 | -1): void {
  let carry = 0
  for (let i = 3; i >= 0; i--) {
    const total = sign === 1 ? into.limbs[i]! + other.limbs[i]! + carry : into.limbs[i]! - other.limbs[i]! - carry
    into.limbs[i] = total >>> 0
    carry = sign === 1 ? (total > 0xffffffff ? 1 : 0) : total < 0 ? 1 : 0
  }
  into.count += sign * other.count
}

/** The fingerprint of a sum: its 16 bytes hashed together with the count. */
export function finishSum(sum: FingerprintSum): RangeFingerprint {
  const input = new Uint8Array(24)
  const view = new DataView(input.buffer)
  for (let i = 0; i < 4; i++) view.setUint32(i * 4, sum.limbs[i]!)
  view.setFloat64(16, sum.count)
  return { count: sum.count, fingerprint: toHex(blake2b(input, 16)) }
}

/**
 * Range fingerprint in the manner of Negentropy: the sum, modulo 2^128, of the first 16 bytes of
 * every hash in the range, hashed together with the count. Addition (not XOR) keeps it hard to
 * build two different sets with one fingerprint, and makes it incremental: partial sums of
 * sub-ranges add up (see `prefixSums.ts`, the index every backend keeps).
 */
export class FingerprintAccumulator {
  readonly #sum = emptySum()

  add(hash: string): void {
    addHashToSum(this.#sum, hash)
  }

  finish(): RangeFingerprint {
    return finishSum(this.#sum)
  }
}

/** Fingerprint of a list of hashes. */
export function fingerprintOf(hashes: Iterable<string>): RangeFingerprint {
  const acc = new FingerprintAccumulator()
  for (const h of hashes) acc.add(h)
  return acc.finish()
}

/** True when `hash` falls inside `range`. */
export function inRange(hash: string, range: HashRange): boolean {
  return hash >= range.lower && (range.upper === null || hash < range.upper)
}

/** The full hash range. */
export const FULL_RANGE: HashRange = { lower: '', upper: null }

/** Without a batched read, how many single range fingerprints are read at once. */
const SINGLE_READS_AT_ONCE = 16

/**
 * The fingerprints of `ranges`, in their order, by `read` one range at a time, a few at once: for
 * a source that cannot read them together (a remote store asks one request each).
 */
export async function fingerprintsFewAtOnce(
  ranges: readonly HashRange[],
  read: (range: HashRange) => Promise<RangeFingerprint>,
): Promise<RangeFingerprint[]> {
  const out: RangeFingerprint[] = []
  for (let i = 0; i < ranges.length; i += SINGLE_READS_AT_ONCE)
    out.push(...(await Promise.all(ranges.slice(i, i + SINGLE_READS_AT_ONCE).map(read))))
  return out
}
