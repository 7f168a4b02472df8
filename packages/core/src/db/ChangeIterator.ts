import { throwIfAborted } from '../abort.ts'
import { positionCheck, type ChangeStore, type ScanItem } from '../store/index.ts'
import type { Cursor, DocId } from '../types.ts'
import type { Document } from './Document.ts'
import { matchesFilter, type DocFilter } from './filter.ts'

/** One step of {@link ChangeIterator}: a changed document and the cursor to resume after it. */
export interface ChangedDocument {
  readonly doc: Document
  readonly cursor: Cursor
}

export interface IterateOptions {
  readonly filter?: DocFilter
  readonly signal?: AbortSignal
  /** Entries read from the store per page. */
  readonly pageSize?: number
}

/** What the iterator needs from its database. */
export interface IterationSource {
  readonly store: ChangeStore
  /** Materialises any of these entries the database has not seen yet. */
  ensure(items: readonly ScanItem[]): Promise<void>
  /** The readable (or deleted) document, materialised on demand; undefined when it is locked or untrusted. */
  document(id: DocId): Promise<Document | undefined>
}

/**
 * Walks a store in arrival order and yields each changed document once per page, at its last
 * entry in that page, with a cursor just past that entry. Resuming from any yielded cursor misses
 * nothing and repeats nothing. `cursor` (a property) covers every entry scanned so far, including
 * entries of documents the filter skipped: save it when the loop ends.
 */
export class ChangeIterator implements AsyncIterable<ChangedDocument> {
  readonly #source: IterationSource
  readonly #options: IterateOptions
  #cursor: Cursor | null

  constructor(source: IterationSource, since: Cursor | null, options: IterateOptions = {}) {
    this.#source = source
    this.#cursor = since
    this.#options = options
  }

  /** Everything up to here has been scanned. */
  get cursor(): Cursor | null {
    return this.#cursor
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ChangedDocument> {
    const { filter, signal } = this.#options
    const pageSize = this.#options.pageSize ?? 500
    for (;;) {
      throwIfAborted(signal, 'iteration')
      const page = await this.#source.store.scan(this.#cursor, { limit: pageSize })
      await this.#source.ensure(page.entries)
      const last = new Map<DocId, number>()
      page.entries.forEach((e, i) => last.set(e.docId, i))
      for (let i = 0; i < page.entries.length; i++) {
        const item = page.entries[i]!
        if (last.get(item.docId) !== i) continue
        const doc = await this.#source.document(item.docId)
        if (!doc || !matchesFilter(filter, doc)) continue
        const cursor = { epoch: page.cursor.epoch, seq: item.seq, at: positionCheck(item.hash) }
        this.#cursor = cursor
        yield { doc, cursor }
        throwIfAborted(signal, 'iteration')
      }
      this.#cursor = page.cursor
      if (page.done) return
    }
  }
}
