import MiniSearch from 'minisearch'
import { ErrorCodes, WeftError } from '../../errors.ts'
import type { DocId } from '../../types.ts'

/** What a full-text index covers. */
export interface SearchOptions {
  /** Top-level fields whose text is indexed (strings; other values are skipped). */
  readonly fields: readonly string[]
}

/** One search result: the document and its score (higher is better). */
export interface SearchHit {
  readonly id: DocId
  readonly score: number
  /** Which indexed terms matched, and in which fields. */
  readonly match: Readonly<Record<string, readonly string[]>>
}

/** Full-text search over chosen fields, on MiniSearch (the library MindooDB uses for the same). */
export class SearchIndex {
  readonly #fields: readonly string[]
  #mini: MiniSearch
  readonly #held = new Set<DocId>()

  constructor(options: SearchOptions) {
    if (
      !Array.isArray(options?.fields) ||
      options.fields.length === 0 ||
      !options.fields.every((f) => typeof f === 'string')
    )
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'a search index needs fields (a non-empty list of names)')
    this.#fields = options.fields
    this.#mini = this.#create()
  }

  /** Empties the index (documents are then put in one by one with {@link SearchIndex.update}). */
  clear(): void {
    this.#mini = this.#create()
    this.#held.clear()
  }

  /** Puts a document's new text in; `undefined` takes it out. */
  update(id: DocId, data: Readonly<Record<string, unknown>> | undefined): void {
    if (this.#held.has(id)) {
      this.#mini.discard(id)
      this.#held.delete(id)
    }
    if (!data) return
    const doc: Record<string, string> = { id }
    let any = false
    for (const f of this.#fields)
      if (typeof data[f] === 'string') {
        doc[f] = data[f]
        any = true
      }
    if (!any) return
    this.#mini.add(doc)
    this.#held.add(id)
  }

  search(text: string, options: { limit?: number; prefix?: boolean; fuzzy?: number }): SearchHit[] {
    if (typeof text !== 'string') throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'search takes a string')
    const hits = this.#mini.search(text, { prefix: options.prefix ?? true, fuzzy: options.fuzzy ?? 0.2 })
    return hits
      .slice(0, options.limit ?? hits.length)
      .map((h) => ({ id: h.id as DocId, score: h.score, match: h.match as Record<string, string[]> }))
  }

  #create(): MiniSearch {
    return new MiniSearch({ fields: [...this.#fields], idField: 'id', storeFields: [] })
  }
}
