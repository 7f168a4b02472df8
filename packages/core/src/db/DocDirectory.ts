import type { DocId } from '../types.ts'
import type { DocState } from './DocState.ts'

/**
 * Every document a database knows, and which of them are materialised. A document known only by
 * its summary (from the persisted index) costs a few hashes of memory; a materialised one holds its
 * Automerge document and lives in a least-recently-used cache that {@link DocDirectory.trim} keeps
 * within a bound, calling `Automerge.free` on what it evicts, except on a document handles were
 * given out on: that one is detached for its handles instead (see `DatabaseOptions.cacheSize`).
 */
export class DocDirectory {
  readonly #all = new Map<DocId, DocState>()
  /** Materialised documents, least recently used first. */
  readonly #lru = new Map<DocId, DocState>()
  #evictions = 0

  get(id: DocId): DocState | undefined {
    return this.#all.get(id)
  }

  has(id: DocId): boolean {
    return this.#all.has(id)
  }

  /** Adds a document (or replaces the one with its id). */
  set(state: DocState): void {
    this.#all.set(state.id, state)
    if (state.loaded) this.touch(state)
  }

  /** Marks a materialised document as just used. */
  touch(state: DocState): void {
    this.#lru.delete(state.id)
    if (state.loaded) this.#lru.set(state.id, state)
  }

  values(): IterableIterator<DocState> {
    return this.#all.values()
  }

  keys(): IterableIterator<DocId> {
    return this.#all.keys()
  }

  get size(): number {
    return this.#all.size
  }

  /** How many documents are materialised now, and how many were evicted so far. */
  stats(): { readonly documents: number; readonly materialised: number; readonly evictions: number } {
    return { documents: this.#all.size, materialised: this.#lru.size, evictions: this.#evictions }
  }

  /**
   * Evicts the least recently used materialised documents until at most `limit` remain. Returns
   * how many it evicted.
   */
  trim(limit: number): number {
    let evicted = 0
    for (const state of this.#lru.values()) {
      if (this.#lru.size <= limit) break
      this.#lru.delete(state.id)
      if (state.handedOut) this.#all.set(state.id, state.detach())
      else state.unload()
      evicted++
    }
    this.#evictions += evicted
    return evicted
  }

  /** Frees every materialised document and forgets every document. */
  clear(): void {
    for (const s of this.#all.values()) s.free()
    this.#all.clear()
    this.#lru.clear()
  }
}
