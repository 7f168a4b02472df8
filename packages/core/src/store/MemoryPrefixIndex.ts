import { nibble } from '../codec/index.ts'
import type { ChangeHash } from '../types.ts'
import type { HashRange, RangeFingerprint } from './ChangeStore.ts'
import { hashLimbsInto, inRange, type FingerprintSum } from './fingerprint.ts'
import { HEX_DIGITS, indexedFingerprint, indexedFingerprints, prefixEnd, type PrefixSumReader } from './prefixSums.ts'

/** Prefixes of up to this many characters have a node; the hashes under one such prefix share a bucket. */
const DEPTH = 3
/** Where each depth's nodes start in the flat arrays: depth `d` has 16^d of them. */
const LEVEL_START = [0, 1, 17] as const
/** Nodes of depths 0 to DEPTH - 1 (the deepest level's sums live in the buckets). */
const FLAT_NODES = 1 + 16 + 256

/** The hashes under one `DEPTH`-character prefix, in order, with their sum. */
interface Bucket {
  readonly hashes: ChangeHash[]
  readonly limbs: Uint32Array
}

/**
 * The hashes of a memory store in hash order, with the range-fingerprint index of `prefixSums.ts`
 * kept at depth {@link DEPTH}: the sums of prefixes shorter than that sit in two flat typed arrays
 * (no object per node), and the hashes of each `DEPTH`-character prefix in one sorted bucket that
 * carries its own sum. An append adds to `DEPTH` flat nodes and one bucket, and makes a new object
 * only for a bucket's first hash; a range's fingerprint reads a few nodes and at most two buckets
 * (about n / 4,096 hashes each); a listing walks only non-empty nodes and stops at its limit.
 */
export class MemoryPrefixIndex {
  readonly #counts = new Float64Array(FLAT_NODES)
  readonly #limbs = new Uint32Array(FLAT_NODES * 4)
  readonly #buckets = new Map<number, Bucket>()
  readonly #one = new Uint32Array(4)

  add(hashes: readonly ChangeHash[]): void {
    const one = this.#one
    for (const h of hashes) {
      hashLimbsInto(h, one) // refuses anything but lowercase hex
      const a = nibble(h.charCodeAt(0))
      const b = nibble(h.charCodeAt(1))
      this.#addToNode(0, one)
      this.#addToNode(LEVEL_START[1] + a, one)
      this.#addToNode(LEVEL_START[2] + a * 16 + b, one)
      const key = (a * 16 + b) * 16 + nibble(h.charCodeAt(2))
      let bucket = this.#buckets.get(key)
      if (!bucket) this.#buckets.set(key, (bucket = { hashes: [], limbs: new Uint32Array(4) }))
      bucket.hashes.splice(lowerBound(bucket.hashes, h), 0, h)
      addLimbs(bucket.limbs, 0, one)
    }
  }

  fingerprint(range: HashRange): Promise<RangeFingerprint> {
    return indexedFingerprint(range, this.#reader, DEPTH)
  }

  fingerprints(ranges: readonly HashRange[]): Promise<RangeFingerprint[]> {
    return indexedFingerprints(ranges, this.#reader, DEPTH)
  }

  readonly #reader: PrefixSumReader = {
    sums: async (prefixes) => prefixes.map((p) => this.#sum(p)),
    hashes: async (r) => this.hashesInRange(r, Infinity),
  }

  /** Hashes in `range` in hash order, at most `limit`; reads nothing past the limit. */
  hashesInRange(range: HashRange, limit: number): ChangeHash[] {
    const out: ChangeHash[] = []
    if (limit <= 0 || (range.upper !== null && range.upper <= range.lower)) return out
    const walk = (prefix: string): void => {
      if (prefix.length === DEPTH) {
        const leaf = this.#buckets.get(parseInt(prefix, 16))?.hashes ?? []
        for (
          let i = lowerBound(leaf, range.lower);
          i < leaf.length && out.length < limit && inRange(leaf[i]!, range);
          i++
        )
          out.push(leaf[i]!)
        return
      }
      for (const digit of HEX_DIGITS) {
        const child = prefix + digit
        if (!this.#count(child)) continue
        if (range.upper !== null && child >= range.upper) return // this child and all after it are above the range
        const end = prefixEnd(child)
        if (end !== null && end <= range.lower) continue // wholly below the range
        walk(child)
        if (out.length >= limit) return
      }
    }
    walk('')
    return out
  }

  /** The node of a hex prefix of at most {@link DEPTH} characters; undefined when no hash has it. */
  #sum(prefix: string): FingerprintSum | undefined {
    if (prefix.length === DEPTH) {
      const bucket = this.#buckets.get(parseInt(prefix, 16))
      return bucket && { count: bucket.hashes.length, limbs: bucket.limbs }
    }
    const node = flatNode(prefix)
    const count = this.#counts[node]!
    return count ? { count, limbs: this.#limbs.subarray(node * 4, node * 4 + 4) } : undefined
  }

  /** How many hashes start with a hex prefix of at most {@link DEPTH} characters. */
  #count(prefix: string): number {
    if (prefix.length === DEPTH) return this.#buckets.get(parseInt(prefix, 16))?.hashes.length ?? 0
    return this.#counts[flatNode(prefix)]!
  }

  #addToNode(node: number, limbs: Uint32Array): void {
    this.#counts[node] = this.#counts[node]! + 1
    addLimbs(this.#limbs, node * 4, limbs)
  }
}

/** Where the node of a hex prefix shorter than {@link DEPTH} sits in the flat arrays. */
function flatNode(prefix: string): number {
  return LEVEL_START[prefix.length as 0 | 1 | 2] + (prefix.length ? parseInt(prefix, 16) : 0)
}

/** `into[at..at+4] += limbs`, modulo 2^128 (most significant limb first). */
function addLimbs(into: Uint32Array, at: number, limbs: Uint32Array): void {
  let carry = 0
  for (let i = 3; i >= 0; i--) {
    const total = into[at + i]! + limbs[i]! + carry
    into[at + i] = total >>> 0
    carry = total > 0xffffffff ? 1 : 0
  }
}

/** First index in sorted `list` whose value is not below `value`. */
function lowerBound(list: readonly string[], value: string): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (list[mid]! < value) lo = mid + 1
    else hi = mid
  }
  return lo
}
