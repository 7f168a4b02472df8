import { ErrorCodes, WeftError } from '../../errors.ts'
import type { DocId } from '../../types.ts'
import { isScalar } from './compareValues.ts'
import { matchesWhere, parseWhere, type Bounds } from './matchWhere.ts'
import { decodeCursor, encodeCursor, orderOf, pageOf } from './queryPage.ts'
import { pickIndex } from './pickIndex.ts'
import { catchUpIndex } from './catchUpIndex.ts'
import type { IndexStateStore } from './IndexStateStore.ts'
import { SearchIndex, type SearchOptions, type SearchHit } from './SearchIndex.ts'
import { SortedIndex, type IndexStateRow } from './SortedIndex.ts'
import type {
  IndexOpened,
  IndexReport,
  IndexSpec,
  Query,
  QueryHit,
  QueryResult,
  QuerySource,
  Scalar,
  VersionedData,
} from './types.ts'

type Data = Readonly<Record<string, unknown>>

/** Documents the engine announces to its source at a time, ahead of reading them one by one. */
const PREFETCH = 64

/** Changed documents after which the indexes' states are stored again: at least this many... */
const SAVE_AFTER = 256
/** ...and an eighth of the largest index, so storing costs a constant number of rows per change, amortised. */
const SAVE_FRACTION = 8

/**
 * Indexes, queries, live queries and full-text search over one database's readable documents, in
 * this process's memory, kept current as documents change (written here or received by sync) and
 * never sent. With a state store, each index's state (key and version of every document) is also
 * stored locally, encrypted: `createIndex` then loads it instead of reading every document, and
 * reads again only the documents whose version moved since. The full-text index is built at each
 * `createSearchIndex`.
 */
export class QueryEngine {
  readonly #source: QuerySource
  readonly #states: IndexStateStore | undefined
  readonly #indexes = new Map<string, SortedIndex>()
  #search: SearchIndex | undefined
  #unsubscribe: (() => void) | undefined
  #pending: Promise<void> = Promise.resolve()
  /** Documents changed while an index is being built, one set per build. */
  readonly #building = new Set<Set<DocId>>()
  /** Document changes applied to the indexes since their states were stored. */
  #unsaved = 0

  constructor(source: QuerySource, states?: IndexStateStore) {
    this.#source = source
    this.#states = states
  }

  /**
   * Creates (or replaces) an index: from its stored state when there is one under the same
   * definition (reading only the documents that changed since), else from every document.
   */
  async createIndex(name: string, spec: IndexSpec): Promise<IndexReport> {
    if (typeof name !== 'string' || !name) throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'an index needs a name')
    const ok =
      ('fields' in spec &&
        Array.isArray(spec.fields) &&
        spec.fields.length > 0 &&
        spec.fields.every((f) => typeof f === 'string')) ||
      ('map' in spec && typeof spec.map === 'function')
    if (!ok)
      throw new WeftError(
        ErrorCodes.INVALID_ARGUMENT,
        `index ${name}: give fields (a non-empty list) or map (a function)`,
      )
    const index = new SortedIndex(name, spec)
    let found: { opened: IndexOpened; read: number } = { opened: 'rebuilt', read: 0 }
    const changed = await this.#build(
      async () => {
        const stored = await this.#states?.load(name, index.definition)
        if (stored) found = await catchUpIndex(index, stored.rows, this.#source)
        else {
          const rows: IndexStateRow[] = []
          await this.#eachDoc((id, data, version) => rows.push([id, version, index.keyOf(data) ?? null]))
          index.restore(rows)
          found = { opened: 'rebuilt', read: rows.length }
        }
      },
      (id, r) => index.update(id, r.data, r.version),
    )
    this.#indexes.set(name, index)
    const opened = changed && found.opened === 'current' ? 'caught-up' : found.opened
    if (opened !== 'current') await this.#save(index)
    return { name, opened, read: found.read + changed, size: index.size }
  }

  /** Drops an index and its stored state; true if there was one. */
  async dropIndex(name: string): Promise<boolean> {
    const had = this.#indexes.delete(name)
    await this.#states?.delete(name)
    return had
  }

  /** The indexes, by name, with how many documents each holds. */
  indexes(): { name: string; size: number }[] {
    return [...this.#indexes.values()].map((i) => ({ name: i.name, size: i.size }))
  }

  /** Full-text search over `fields` of every document (MiniSearch); built now, kept current. */
  async createSearchIndex(options: SearchOptions): Promise<void> {
    const search = new SearchIndex(options)
    await this.#build(
      async () => {
        search.clear()
        await this.#eachDoc((id, data) => search.update(id, data))
      },
      (id, r) => search.update(id, r.data),
    )
    this.#search = search
  }

  /**
   * Builds (or loads), then applies again the documents that changed meanwhile (what it read may
   * predate them). Returns how many it applied again.
   */
  async #build(build: () => Promise<void>, update: (id: DocId, r: VersionedData) => void): Promise<number> {
    this.#follow()
    const changed = new Set<DocId>()
    this.#building.add(changed)
    try {
      await build()
      await this.#pending
      for (const id of changed) update(id, await this.#source.read(id))
      return changed.size
    } finally {
      this.#building.delete(changed)
    }
  }

  /** Documents matching `text`, best first; `WEFT_INVALID_ARGUMENT` before `createSearchIndex`. */
  async search(text: string, options: { limit?: number; prefix?: boolean; fuzzy?: number } = {}): Promise<SearchHit[]> {
    if (!this.#search)
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'create a search index first (createSearchIndex)')
    await this.#pending
    return this.#search.search(text, options)
  }

  /** Runs a query: on an index when one fits, else over every document. */
  async query<T = Record<string, unknown>>(q: Query = {}): Promise<QueryResult<T>> {
    await this.#pending // indexes hold every change heard so far
    const where = parseWhere(q.where)
    const order = orderOf(q.orderBy)
    if (q.limit !== undefined && (!Number.isSafeInteger(q.limit) || q.limit < 0))
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'query: limit is a non-negative integer')
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor)
    const index = pickIndex(this.#indexes, q.index, where, order?.field)
    let examined = 0
    let candidates: AsyncIterable<{ id: DocId; data: Data }>
    if (index) {
      const first = index.fields?.[0]
      const bounds = q.index !== undefined ? (where.get('key') ?? undefined) : first ? where.get(first) : undefined
      const direction = order && first === order.field ? order.direction : 'asc'
      candidates = this.#fromIndex(index, bounds, direction)
      if (q.index !== undefined) where.delete('key')
    } else {
      candidates = this.#everyDoc()
    }
    const hits: { id: DocId; data: Data; sort: Scalar }[] = []
    for await (const c of candidates) {
      examined++
      if (!matchesWhere(c.data, where)) continue
      const sortValue = order ? c.data[order.field] : null
      hits.push({ id: c.id, data: c.data, sort: isScalar(sortValue) ? sortValue : null })
    }
    const { page, more } = pageOf(hits, order?.direction ?? 'asc', after, q.limit)
    const last = page[page.length - 1]
    return {
      docs: page.map((h) => ({ id: h.id, data: JSON.parse(JSON.stringify(h.data)) as T })),
      ...(more && last ? { cursor: encodeCursor(last.sort, last.id) } : {}),
      ...(index ? { usedIndex: index.name } : {}),
      examined,
    }
  }

  /**
   * Runs `q` now and again whenever a document changes whose old or new state could change the
   * result, calling `listener` with each new result. Returns a function that stops it.
   */
  liveQuery<T = Record<string, unknown>>(q: Query, listener: (result: QueryResult<T>) => void): () => void {
    let last = ''
    let stopped = false
    let running: Promise<void> = Promise.resolve()
    // Runs one at a time, in order, so results never arrive out of date.
    const emit = () =>
      (running = running
        .then(async () => {
          if (stopped) return
          const result = await this.query<T>(q)
          const shape = JSON.stringify(result.docs)
          if (stopped || shape === last) return
          last = shape
          listener(result)
        })
        .catch(() => undefined))
    void emit()
    const off = this.#source.onChange(() => void emit())
    return () => {
      stopped = true
      off()
    }
  }

  /** Stops following the database, and stores the states of indexes that changed since they were stored. */
  async close(): Promise<void> {
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
    await this.#pending.catch(() => undefined)
    if (this.#unsaved) for (const index of this.#indexes.values()) await this.#save(index)
    this.#unsaved = 0
  }

  /** Stores an index's state; a failure is let go (the state is a cache, checked when loaded). */
  async #save(index: SortedIndex): Promise<void> {
    try {
      await this.#states?.save(index.name, { definition: index.definition, rows: index.state() })
    } catch {
      // The stored state stays as it was: older versions, so the next load reads those documents again.
    }
  }

  #follow(): void {
    let updating: Promise<void> = Promise.resolve()
    this.#unsubscribe ??= this.#source.onChange((ids) => {
      // In order: a later change of a document is applied after an earlier one.
      for (const set of this.#building) for (const id of ids) set.add(id)
      updating = updating.then(async () => {
        for (const id of ids) {
          const r = await this.#source.read(id)
          for (const index of this.#indexes.values()) index.update(id, r.data, r.version)
          this.#search?.update(id, r.data)
        }
        this.#unsaved += ids.length
        const largest = Math.max(0, ...[...this.#indexes.values()].map((i) => i.size))
        if (this.#states && this.#unsaved >= Math.max(SAVE_AFTER, largest / SAVE_FRACTION)) {
          this.#unsaved = 0
          for (const index of this.#indexes.values()) await this.#save(index)
        }
      })
      this.#pending = updating
    })
  }

  async *#fromIndex(
    index: SortedIndex,
    bounds: Bounds | undefined,
    direction: 'asc' | 'desc',
  ): AsyncGenerator<{ id: DocId; data: Data }> {
    for await (const id of this.#ahead([...index.range(bounds, direction)].map((row) => row.id))) {
      const data = await this.#source.data(id)
      if (data) yield { id, data }
    }
  }

  async *#everyDoc(): AsyncGenerator<{ id: DocId; data: Data }> {
    for await (const id of this.#ahead(await this.#source.ids())) {
      const data = await this.#source.data(id)
      if (data) yield { id, data }
    }
  }

  /** `ids` in turn, each page of them announced to the source before the first of it is read. */
  async *#ahead(ids: readonly DocId[]): AsyncGenerator<DocId> {
    for (let i = 0; i < ids.length; i++) {
      if (i % PREFETCH === 0) await this.#source.prefetch?.(ids.slice(i, i + PREFETCH))
      yield ids[i]!
    }
  }

  /**
   * Calls `fn` with every readable document's data as it is read, holding none of them: a build
   * over many documents keeps only what it derives (holding every document's data would keep every
   * Automerge document alive, as the handles they come from do).
   */
  async #eachDoc(fn: (id: DocId, data: Data, version: string) => void): Promise<void> {
    for await (const id of this.#ahead(await this.#source.ids())) {
      const { data, version } = await this.#source.read(id)
      if (data) fn(id, data, version)
    }
  }

  /** Resolves once every change heard so far is in the indexes. */
  settled(): Promise<void> {
    return this.#pending
  }
}

export type { QueryHit }
