import type { ChangeHash } from '../types.ts'
import type { HashRange, RangeFingerprint } from './ChangeStore.ts'
import { inRange, type FingerprintSum } from './fingerprint.ts'
import { addToIndex, HEX_DIGITS, INDEX_DEPTH, indexedFingerprint, prefixEnd } from './prefixSums.ts'

/**
 * The hashes of a memory store in hash order, with the range-fingerprint index of `prefixSums.ts`:
 * hashes sit in leaf buckets (by their first `INDEX_DEPTH` characters), each kept sorted, and
 * node sums are updated as hashes are added. A range's fingerprint reads a few nodes and at most
 * two buckets; a range listing walks only non-empty nodes and stops at its limit.
 */
export class MemoryPrefixIndex {
  readonly #nodes = new Map<string, FingerprintSum>()
  readonly #leaves = new Map<string, ChangeHash[]>()

  add(hashes: readonly ChangeHash[]): void {
    addToIndex(this.#nodes, hashes)
    for (const h of hashes) {
      const key = h.slice(0, INDEX_DEPTH)
      let leaf = this.#leaves.get(key)
      if (!leaf) this.#leaves.set(key, (leaf = []))
      leaf.splice(lowerBound(leaf, h), 0, h)
    }
  }

  fingerprint(range: HashRange): Promise<RangeFingerprint> {
    return indexedFingerprint(range, {
      sums: async (prefixes) => prefixes.map((p) => this.#nodes.get(p)),
      hashes: async (r) => this.hashesInRange(r, Infinity),
    })
  }

  /** Hashes in `range` in hash order, at most `limit`; reads nothing past the limit. */
  hashesInRange(range: HashRange, limit: number): ChangeHash[] {
    const out: ChangeHash[] = []
    if (limit <= 0 || (range.upper !== null && range.upper <= range.lower)) return out
    const walk = (prefix: string): void => {
      if (prefix.length === INDEX_DEPTH) {
        const leaf = this.#leaves.get(prefix) ?? []
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
        if (!this.#nodes.get(child)?.count) continue
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
