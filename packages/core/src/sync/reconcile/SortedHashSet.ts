import { FingerprintAccumulator, inRange, type HashRange, type RangeFingerprint } from '../../store/index.ts'
import type { ChangeHash } from '../../types.ts'
import type { ReconcileSource } from './ReconcileMessage.ts'

/**
 * A fixed set of hashes as a {@link ReconcileSource}: for reconciling a hash list the caller holds
 * (say, the `knownHashes` of `findNewChanges`) against a store.
 */
export class SortedHashSet implements ReconcileSource {
  readonly #sorted: ChangeHash[]

  constructor(hashes: Iterable<ChangeHash>) {
    this.#sorted = [...new Set(hashes)].sort()
  }

  get size(): number {
    return this.#sorted.length
  }

  async fingerprint(range: HashRange): Promise<RangeFingerprint> {
    const acc = new FingerprintAccumulator()
    for (const h of this.#slice(range, Infinity)) acc.add(h)
    return acc.finish()
  }

  async hashesInRange(range: HashRange, options: { limit?: number } = {}): Promise<ChangeHash[]> {
    return this.#slice(range, options.limit ?? Infinity)
  }

  #slice(range: HashRange, limit: number): ChangeHash[] {
    const s = this.#sorted
    let lo = 0
    let hi = s.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (s[mid]! < range.lower) lo = mid + 1
      else hi = mid
    }
    const out: ChangeHash[] = []
    for (let i = lo; i < s.length && out.length < limit && inRange(s[i]!, range); i++) out.push(s[i]!)
    return out
  }
}
