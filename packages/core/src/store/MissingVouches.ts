import type { VouchClaim } from '../entries/index.ts'
import type { ChangeHash } from '../types.ts'

/** What {@link MissingVouches} needs of a store. */
export interface VouchSource {
  /** Pages of held entries in arrival order, each with its author (hex) and `deps`; ends with an empty page. */
  page(afterSeq: number): Promise<{ readonly seq: number; readonly entries: readonly Vouching[] }>
  has(hashes: readonly ChangeHash[]): Promise<boolean[]>
}

/** A held entry as a voucher: the hashes it lists, and who signed it. */
export interface Vouching {
  readonly hash: ChangeHash
  readonly author: string
  readonly deps: readonly ChangeHash[]
}

/**
 * The hashes held entries list in `deps` but the store lacks, each with the authors whose entries
 * list it: exactly what a late entry can be vouched for by (an entry already held needs no vouch).
 * Small in a complete store (a store's gaps), so it is kept in memory, built from the store's own
 * entries on first use and kept up to date by every append after that.
 */
export class MissingVouches {
  readonly #byHash = new Map<ChangeHash, Set<string>>()

  private constructor() {}

  /** Reads every held entry's `deps` once, keeping the ones not held. */
  static async build(source: VouchSource): Promise<MissingVouches> {
    const index = new MissingVouches()
    for (let after = 0; ;) {
      const page = await source.page(after)
      if (page.entries.length === 0) return index
      await index.add(page.entries, source)
      after = page.seq
    }
  }

  /** Records what `entries` (just made durable) vouch for, and that they are no longer missing. */
  async add(entries: readonly Vouching[], source: Pick<VouchSource, 'has'>): Promise<void> {
    const inBatch = new Set(entries.map((e) => e.hash))
    for (const h of inBatch) this.#byHash.delete(h)
    const listed = [...new Set(entries.flatMap((e) => e.deps.filter((d) => !inBatch.has(d))))]
    if (listed.length === 0) return
    const held = await source.has(listed)
    const missing = new Set(listed.filter((_, i) => !held[i]))
    for (const e of entries)
      for (const d of e.deps) {
        if (!missing.has(d)) continue
        let authors = this.#byHash.get(d)
        if (!authors) this.#byHash.set(d, (authors = new Set()))
        authors.add(e.author)
      }
  }

  /** For each claim, whether a held entry by its author lists its hash. */
  vouched(claims: readonly VouchClaim[]): boolean[] {
    return claims.map((c) => this.#byHash.get(c.hash)?.has(c.author) === true)
  }

  /** The hashes held entries vouch for that the store lacks. */
  missing(): ChangeHash[] {
    return [...this.#byHash.keys()]
  }
}
