import type { ChangeHash, DocId } from '../types.ts'
import type { DocIndex } from './DocIndex.ts'
import type { IndexHeader } from './docIndexRecord.ts'
import { DocState } from './DocState.ts'

/** States (or ghosts) a sweep leaves waiting at the least before the next: small sets are swept often. */
const SWEEP_SLACK = 64

/** How many documents, and how many estimated bytes of them, stay materialised. */
export interface CacheBound {
  readonly documents: number
  readonly bytes: number
}

/**
 * The documents of a database this process holds, and where the rest are. A materialised document
 * holds its Automerge document and lives in a least-recently-used cache that
 * {@link DocDirectory.trim} keeps within a count and a byte bound, calling `Automerge.free` on
 * what it evicts; a document handles were given out on is detached, its handles keeping the plain
 * view of the freed document (see `DatabaseOptions.cacheSize`). Any other document is known by its summary,
 * read from the persisted index when first needed ({@link DocDirectory.fetch}) and dropped from
 * memory again once it is stored; listings page through the stored summaries
 * ({@link DocDirectory.pages}). Without a persisted index every summary stays in memory.
 */
export class DocDirectory {
  /** States in memory: materialised ones, summaries read or not stored yet. */
  readonly #all = new Map<DocId, DocState>()
  /** Materialised documents, least recently used first. */
  readonly #lru = new Map<DocId, DocState>()
  /** Documents in memory whose summary has never been stored. */
  readonly #unstored = new Set<DocId>()
  /** Summaries dropped from memory that a handle's chain of states leads to: linked again when read back. */
  readonly #ghosts = new Map<DocId, WeakRef<DocState>>()
  /** Gaps of every document, as last stored (kept in the index header). */
  readonly #gaps = new Map<DocId, ChangeHash[]>()
  #index: DocIndex | undefined
  #stored = 0
  #evictions = 0
  /** States in memory after the last sweep for stored summaries: the next waits until they double. */
  #sweptAll = 0
  /** Ghosts after the last sweep for collected ones: the next waits until they double. */
  #sweptGhosts = 0

  /** Reads summaries from `index` (when it is persisted, summaries are dropped from memory once stored). */
  attach(index: DocIndex): void {
    this.#index = index
  }

  /** The state in memory, if any (a document not used since open is not: see {@link DocDirectory.fetch}). */
  get(id: DocId): DocState | undefined {
    return this.#all.get(id)
  }

  /** Adds a document (or replaces the one with its id); `stored` when it was read from the index. */
  set(state: DocState, stored = false): void {
    if (!stored && !this.#all.has(state.id)) this.#unstored.add(state.id)
    this.#all.set(state.id, state)
    if (state.loaded) this.touch(state)
  }

  /** Marks a materialised document as just used. */
  touch(state: DocState): void {
    this.#lru.delete(state.id)
    if (state.loaded) this.#lru.set(state.id, state)
  }

  /**
   * Brings the stored summaries of `ids` that are not in memory into memory. A summary that does
   * not read becomes a state flagged `stale`, which a use materialises from the store. The caller
   * holds the database's lock (so no summary it reads is older than one in memory).
   */
  async fetch(ids: Iterable<DocId>): Promise<void> {
    if (!this.#index?.persisted) return
    const want = [...new Set(ids)].filter((id) => !this.#all.has(id))
    if (want.length === 0) return
    for (const [id, stored] of await this.#index.readSummaries(want)) {
      if (this.#all.has(id)) continue
      const state = stored === 'unreadable' ? staleState(id) : stored
      const ghost = this.#ghosts.get(id)?.deref()
      this.#ghosts.delete(id)
      if (ghost) {
        ghost.successor = state
        state.hasPredecessor = true
      }
      this.set(state, true)
    }
  }

  /**
   * Every document, `size` at a time: stored summaries in id order (the state in memory where
   * there is one), then documents not stored yet. Holds one page at a time.
   */
  async *pages(size: number): AsyncGenerator<DocState[]> {
    if (!this.#index?.persisted) {
      const all = [...this.#all.values()]
      for (let i = 0; i < all.length; i += size) yield all.slice(i, i + size)
      return
    }
    const unstored = new Set(this.#unstored)
    for await (const page of this.#index.summaryPages(size)) {
      yield page.map(([id, stored]) => {
        unstored.delete(id)
        return this.#all.get(id) ?? (stored === 'unreadable' ? staleState(id) : stored)
      })
    }
    const rest = [...unstored].flatMap((id) => this.#all.get(id) ?? [])
    for (let i = 0; i < rest.length; i += size) yield rest.slice(i, i + size)
  }

  /** Gaps of every document: from memory where it is there, else as stored. */
  missing(): ChangeHash[] {
    const out: ChangeHash[] = []
    for (const [id, gaps] of this.#gaps) if (!this.#all.has(id)) out.push(...gaps)
    for (const s of this.#all.values()) out.push(...s.missing())
    return out
  }

  /** Takes the stored document count and gaps from the index header read at open. */
  restore(header: IndexHeader): void {
    this.#stored = header.documents
    for (const [id, gaps] of header.gaps) this.#gaps.set(id, [...gaps])
  }

  /** Records that the summaries of `states` were stored. */
  noteStored(states: readonly DocState[]): void {
    for (const s of states) {
      if (this.#unstored.delete(s.id)) this.#stored++
      const gaps = s.missing()
      if (gaps.length) this.#gaps.set(s.id, gaps)
      else this.#gaps.delete(s.id)
    }
  }

  /** Gaps as stored, for the index header. */
  get storedGaps(): ReadonlyMap<DocId, readonly ChangeHash[]> {
    return this.#gaps
  }

  /** Documents with a stored summary. */
  get storedCount(): number {
    return this.#stored
  }

  /** States in memory. */
  inMemory(): IterableIterator<DocState> {
    return this.#all.values()
  }

  /** How many documents there are, how many are materialised and their estimated bytes, and how many were evicted. */
  stats(): {
    readonly documents: number
    readonly materialised: number
    readonly bytes: number
    readonly evictions: number
  } {
    let bytes = 0
    for (const s of this.#lru.values()) bytes += s.bytes
    return {
      documents: this.#stored + this.#unstored.size,
      materialised: this.#lru.size,
      bytes,
      evictions: this.#evictions,
    }
  }

  /**
   * Evicts the least recently used materialised documents until at most `bound.documents` remain
   * and their estimated bytes are at most `bound.bytes`; then, with a persisted index and once
   * enough states have gathered since the last sweep (see `#dropStored`), drops from memory the
   * summaries that are stored and not `dirty`. Returns how many documents it evicted.
   */
  trim(bound: CacheBound, dirty: (id: DocId) => boolean = () => true): number {
    // Summed only under a byte bound: without one, a trim costs what it evicts, not the cache's size.
    let bytes = 0
    if (bound.bytes !== Infinity) for (const s of this.#lru.values()) bytes += s.bytes
    let evicted = 0
    for (const state of this.#lru.values()) {
      if (this.#lru.size <= bound.documents && bytes <= bound.bytes) break
      this.#lru.delete(state.id)
      bytes -= state.bytes
      if (state.handedOut) this.#all.set(state.id, state.detach())
      else state.unload()
      evicted++
    }
    this.#evictions += evicted
    if (this.#index?.persisted && this.#all.size >= 2 * this.#sweptAll + SWEEP_SLACK) this.#dropStored(dirty)
    return evicted
  }

  /**
   * Drops the stored summaries, and forgets the ghosts the collector took. Each sweep reads every
   * state (or ghost) in memory, so it runs only once their number has doubled since the last: a
   * scan materialising one document after another then costs a constant amortised time per
   * document, not one read of everything in memory each (which made a scan of n documents take
   * time growing with n squared). What waits for the next sweep is at most as much again.
   */
  #dropStored(dirty: (id: DocId) => boolean): void {
    for (const [id, s] of this.#all) {
      if (s.loaded || s.stale || this.#unstored.has(id) || dirty(id)) continue
      this.#all.delete(id)
      if (s.hasPredecessor) this.#ghosts.set(id, new WeakRef(s))
    }
    this.#sweptAll = this.#all.size
    if (this.#ghosts.size < 2 * this.#sweptGhosts + SWEEP_SLACK) return
    for (const [id, ref] of this.#ghosts) if (!ref.deref()) this.#ghosts.delete(id)
    this.#sweptGhosts = this.#ghosts.size
  }

  /** Frees every materialised document and forgets every document. */
  clear(): void {
    for (const s of this.#all.values()) s.free()
    this.#all.clear()
    this.#lru.clear()
    this.#unstored.clear()
    this.#ghosts.clear()
    this.#gaps.clear()
    this.#stored = 0
    this.#sweptAll = 0
    this.#sweptGhosts = 0
  }
}

/** A document whose stored summary did not read: known to exist, materialised from the store on use. */
function staleState(id: DocId): DocState {
  const s = new DocState(id, false)
  s.stale = true
  return s
}
