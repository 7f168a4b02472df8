import type { DocId } from '../../types.ts'

/** A value an index or a query compares: JSON scalars. Anything else (objects, arrays) is not indexed. */
export type Scalar = string | number | boolean | null

/** One field's condition: a value (equality) or comparisons, all of which must hold. */
export type Condition =
  | Scalar
  | {
      readonly eq?: Scalar
      readonly gt?: Scalar
      readonly gte?: Scalar
      readonly lt?: Scalar
      readonly lte?: Scalar
      readonly in?: readonly Scalar[]
    }

/** Top-level fields and the conditions their values must meet. */
export type Where = Readonly<Record<string, Condition>>

/**
 * What an index keys documents by: top-level `fields` (the key is their values, in order), or a
 * `map` from a document's data to one value or a tuple. Documents whose key holds a non-scalar, or
 * for which `map` returns `undefined` or throws, are left out of the index.
 *
 * A stored index state is loaded again only under the same definition: the same `fields`, or a map
 * with the same `version` (without one, the same source text). Give a map a `version`, and change
 * it, when what it computes changes without its code changing (values it closes over).
 */
export type IndexSpec =
  | { readonly fields: readonly string[] }
  | {
      readonly map: (data: Readonly<Record<string, unknown>>) => Scalar | readonly Scalar[] | undefined
      readonly version?: string
    }

/** How `createIndex` found an index's stored state. */
export type IndexOpened =
  /** Stored and current for every document: loaded without reading one. */
  | 'current'
  /** Stored: loaded, and the documents that changed since were read again. */
  | 'caught-up'
  /** None stored (or unreadable, or under another definition): built from every document. */
  | 'rebuilt'

/** What `createIndex` did. */
export interface IndexReport {
  readonly name: string
  readonly opened: IndexOpened
  /** Documents read (materialised) to make the index current. */
  readonly read: number
  /** Documents the index keys. */
  readonly size: number
}

/** A query over a database's readable, not deleted documents. */
export interface Query {
  readonly where?: Where
  /** A field to order by (ascending), or a field and a direction. Ties go by document id. */
  readonly orderBy?: string | { readonly field: string; readonly direction?: 'asc' | 'desc' }
  /** Most documents returned (default: all). */
  readonly limit?: number
  /** The `cursor` of the previous page: the next page starts after it. */
  readonly cursor?: string
  /** Query an index by its key instead of by fields: a range over the index's first key part. */
  readonly index?: string
}

/** One document of a result. */
export interface QueryHit<T = Record<string, unknown>> {
  readonly id: DocId
  readonly data: T
}

/** A page of results. */
export interface QueryResult<T = Record<string, unknown>> {
  readonly docs: QueryHit<T>[]
  /** Pass back as `cursor` for the next page; absent on the last page. */
  readonly cursor?: string
  /** The index the query ran on, or undefined for a scan of every document. */
  readonly usedIndex?: string
  /** Documents read to answer (a cost figure: the index makes it small). */
  readonly examined: number
}

/** A document's data (undefined: deleted or unreadable) and the version it is at, read together. */
export interface VersionedData {
  readonly data: Readonly<Record<string, unknown>> | undefined
  readonly version: string
}

/** What the query engine needs from its database: documents by id, their versions, and word of changes. */
export interface QuerySource {
  /** Readable documents that are not deleted (materialising none). */
  ids(): Promise<DocId[]>
  data(id: DocId): Promise<Readonly<Record<string, unknown>> | undefined>
  /** The data and version, read at one moment. */
  read(id: DocId): Promise<VersionedData>
  /**
   * Every readable, not deleted document with its version, from what the database knows of them
   * (their summaries), in one pass that materialises nothing.
   */
  versionsOfAll(): Promise<{ readonly id: DocId; readonly version: string }[]>
  onChange(listener: (ids: readonly DocId[]) => void): () => void
  /**
   * The engine is about to read these documents, in this order: a source may load them together
   * (one read of the storage for many documents rather than one each). Optional; a hint only.
   */
  prefetch?(ids: readonly DocId[]): Promise<void>
}
