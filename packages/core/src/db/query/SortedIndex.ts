import type { DocId } from '../../types.ts'
import { compareTuples, compareValues, isScalar } from './compareValues.ts'
import { indexDefinition } from './indexDefinition.ts'
import type { Bounds } from './matchWhere.ts'
import type { IndexSpec, Scalar } from './types.ts'

/** One document's part of an index's state: its id, the version it was keyed at, its key (null: left out). */
export type IndexStateRow = readonly [id: DocId, version: string, key: readonly Scalar[] | null]

interface Row {
  readonly key: readonly Scalar[]
  readonly id: DocId
}

const compareRows = (a: Row, b: Row) => compareTuples(a.key, b.key) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/**
 * A secondary index kept in memory: rows (key, document id) in key order, updated as documents
 * change. Reads walk a range of the first key part, so a query that fits touches only its rows.
 * It remembers the version (entry heads) of every document it keyed, so its state can be stored
 * and, when loaded again, trusted for exactly the documents whose version has not moved since.
 */
export class SortedIndex {
  readonly name: string
  readonly fields: readonly string[] | undefined
  /** What its stored state is valid for (see `indexDefinition`). */
  readonly definition: string
  readonly #spec: IndexSpec
  #rows: Row[] = []
  readonly #keys = new Map<DocId, readonly Scalar[]>()
  /** The version each document was keyed at (documents left out too). */
  readonly #versions = new Map<DocId, string>()

  constructor(name: string, spec: IndexSpec) {
    this.name = name
    this.#spec = spec
    this.fields = 'fields' in spec ? spec.fields : undefined
    this.definition = indexDefinition(spec)
  }

  /** The key a document's data gets, or undefined when it is left out. */
  keyOf(data: Readonly<Record<string, unknown>>): readonly Scalar[] | undefined {
    let raw: unknown
    try {
      raw = 'fields' in this.#spec ? this.#spec.fields.map((f) => data[f]) : this.#spec.map(data)
    } catch {
      return undefined
    }
    const key = Array.isArray(raw) ? raw : [raw]
    return key.length > 0 && key.every(isScalar) ? (key as Scalar[]) : undefined
  }

  /** Takes `rows` (a stored state, or part of it) as the whole index. */
  restore(rows: Iterable<IndexStateRow>): void {
    this.#keys.clear()
    this.#versions.clear()
    const sorted: Row[] = []
    for (const [id, version, key] of rows) {
      this.#versions.set(id, version)
      if (!key) continue
      this.#keys.set(id, key)
      sorted.push({ key, id })
    }
    this.#rows = sorted.sort(compareRows)
  }

  /** Every document's id, version and key: what {@link SortedIndex.restore} takes back. */
  state(): IndexStateRow[] {
    return [...this.#versions].map(([id, version]) => [id, version, this.#keys.get(id) ?? null])
  }

  /**
   * Puts a document's new state in (data undefined: the document is gone or unreadable), keyed at
   * `version`.
   */
  update(id: DocId, data: Readonly<Record<string, unknown>> | undefined, version = ''): void {
    if (data) this.#versions.set(id, version)
    else this.#versions.delete(id)
    const old = this.#keys.get(id)
    const key = data ? this.keyOf(data) : undefined
    if (old && key && compareTuples(old, key) === 0) return
    if (old) {
      const at = this.#search({ key: old, id })
      if (at < this.#rows.length && this.#rows[at]!.id === id) this.#rows.splice(at, 1)
      this.#keys.delete(id)
    }
    if (key) {
      const row = { key, id }
      this.#rows.splice(this.#search(row), 0, row)
      this.#keys.set(id, key)
    }
  }

  /** Rows held. */
  get size(): number {
    return this.#rows.length
  }

  /** Document ids whose first key part meets `bounds`, in key order (reversed for `desc`). */
  *range(
    bounds: Bounds | undefined,
    direction: 'asc' | 'desc' = 'asc',
  ): Generator<{ id: DocId; key: readonly Scalar[] }> {
    let lo = 0
    let hi = this.#rows.length
    // One bound each way is enough: the caller checks every condition again on what comes out.
    const low: [Scalar, boolean] | undefined =
      bounds?.eq !== undefined
        ? [bounds.eq, false]
        : bounds?.gte !== undefined
          ? [bounds.gte, false]
          : bounds?.gt !== undefined
            ? [bounds.gt, true]
            : undefined
    const high: [Scalar, boolean] | undefined =
      bounds?.eq !== undefined
        ? [bounds.eq, true]
        : bounds?.lte !== undefined
          ? [bounds.lte, true]
          : bounds?.lt !== undefined
            ? [bounds.lt, false]
            : undefined
    if (low) lo = this.#firstAtLeast(...low)
    if (high) hi = this.#firstAtLeast(...high)
    if (direction === 'asc') for (let i = lo; i < hi; i++) yield this.#rows[i]!
    else for (let i = hi - 1; i >= lo; i--) yield this.#rows[i]!
  }

  /** First row whose first key part is ≥ `v` (or > `v` with `strict`). */
  #firstAtLeast(v: Scalar, strict: boolean): number {
    let lo = 0
    let hi = this.#rows.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const c = compareValues(this.#rows[mid]!.key[0]!, v)
      if (c < 0 || (strict && c === 0)) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  #search(row: Row): number {
    let lo = 0
    let hi = this.#rows.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (compareRows(this.#rows[mid]!, row) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
