import type { ChangeHash, DocId } from '../types.ts'

/**
 * Which document each applied entry went into, remembered for the documents in memory (and, below
 * a limit, for others too). Past the limit, {@link AppliedMemo.prune} forgets the entries of
 * documents that are not materialised. A prune reads every entry remembered, so it runs again
 * only once the memo has doubled since the last: materialising one document after another then
 * costs a constant amortised time per entry remembered, also when the documents held in memory
 * keep more entries than the limit.
 */
export class AppliedMemo {
  readonly #byHash = new Map<ChangeHash, DocId>()
  readonly #limit: number
  /** Entries the last prune kept. */
  #kept = 0

  constructor(limit: number) {
    this.#limit = limit
  }

  get size(): number {
    return this.#byHash.size
  }

  has(hash: ChangeHash): boolean {
    return this.#byHash.has(hash)
  }

  get(hash: ChangeHash): DocId | undefined {
    return this.#byHash.get(hash)
  }

  set(hash: ChangeHash, docId: DocId): void {
    this.#byHash.set(hash, docId)
  }

  clear(): void {
    this.#byHash.clear()
    this.#kept = 0
  }

  /** Forgets the entries of documents `materialised` says no to, once the memo is large (see the class). */
  prune(materialised: (id: DocId) => boolean): void {
    if (this.#byHash.size <= Math.max(this.#limit, 2 * this.#kept)) return
    for (const [h, id] of this.#byHash) if (!materialised(id)) this.#byHash.delete(h)
    this.#kept = this.#byHash.size
  }
}
