import { fromHex, toHex } from '../codec/index.ts'
import { blake2b } from '../crypto/index.ts'
import type { HashRange, RangeFingerprint } from './ChangeStore.ts'

/**
 * Range fingerprint in the manner of Negentropy: the sum, modulo 2^128, of the first 16 bytes of
 * every hash in the range, hashed together with the count. Addition (not XOR) keeps it hard to
 * build two different sets with one fingerprint, and it can be maintained incrementally.
 */
export class FingerprintAccumulator {
  readonly #limbs = new Uint32Array(4)
  #count = 0

  add(hash: string): void {
    const b = fromHex(hash.slice(0, 32))
    let carry = 0
    for (let i = 3; i >= 0; i--) {
      const word = ((b[i * 4]! << 24) | (b[i * 4 + 1]! << 16) | (b[i * 4 + 2]! << 8) | b[i * 4 + 3]!) >>> 0
      const sum = this.#limbs[i]! + word + carry
      this.#limbs[i] = sum >>> 0
      carry = sum > 0xffffffff ? 1 : 0
    }
    this.#count++
  }

  finish(): RangeFingerprint {
    const input = new Uint8Array(24)
    new DataView(input.buffer).setUint32(0, this.#limbs[0]!)
    new DataView(input.buffer).setUint32(4, this.#limbs[1]!)
    new DataView(input.buffer).setUint32(8, this.#limbs[2]!)
    new DataView(input.buffer).setUint32(12, this.#limbs[3]!)
    new DataView(input.buffer).setFloat64(16, this.#count)
    return { count: this.#count, fingerprint: toHex(blake2b(input, 16)) }
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
