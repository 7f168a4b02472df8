import type { AttachmentSync } from './attachments/index.ts'
import type { WeftError } from '../errors.ts'
import type { ProgressOptions, RejectedEntry } from '../store/index.ts'
import type { DocId, KeyId, Origin } from '../types.ts'
import type { IndexOpening } from './IndexKeeper.ts'
import type { MaterialiseReport } from './MaterialiseReport.ts'

/**
 * Options of a database. A database is open once per tenant and every `openDB` call shares it, so
 * options are settled across calls: one a call leaves out keeps the value settled before (or the
 * default), one a call gives is adopted if no earlier call chose it, and a different choice from
 * an earlier call fails with `WEFT_DB_OPTIONS_CONFLICT`. The order of calls does not matter.
 */
export interface DatabaseOptions {
  /** Key for new documents when `createDocument` names none. Default `default`. */
  readonly keyId?: string
  /** Write an encrypted snapshot after this many local changes to a document. Default 500. */
  readonly snapshotEvery?: number
  /**
   * How many documents stay materialised (Automerge documents in memory), least recently used
   * evicted first and freed with `Automerge.free`: a count (default 1,000), or
   * `{ documents?, bytes? }` to bound the count, the estimated bytes (see {@link CacheSize}), or both. Every other document is known by
   * a small summary from the database's persisted index and is materialised again on its next
   * use. Eviction frees the Automerge document even under a caller's `Document` handle: the
   * handle keeps the document's plain JavaScript view (its data as at eviction, reclaimed by the
   * garbage collector with the handle) until the database materialises the document again, and
   * then shows the newest state. Handles therefore never hold Automerge memory beyond the bound.
   */
  readonly cacheSize?: number | CacheSize
  /**
   * `eager` (default): pulls bring attachment chunks with the documents. `lazy`: pulls leave them
   * out and a read fetches the chunks it needs from the stores pulled from (see docs/api-guide.md).
   */
  readonly attachments?: AttachmentSync
}

/**
 * Bounds of a database's cache of materialised documents; a document is evicted once either is
 * passed. A document's bytes are estimated cheaply as the size of the Automerge changes applied to
 * it (or of the save it was loaded from plus the changes since), not measured: Automerge's own
 * memory for it is a multiple of that (see docs/architecture.md, "The document index and cache").
 */
export interface CacheSize {
  /** Documents kept materialised. Default 1,000. */
  readonly documents?: number
  /** Estimated bytes of the documents kept materialised. Default: no byte bound. */
  readonly bytes?: number
}

/** How many documents a database knows, holds materialised (and their estimated bytes), and has evicted. */
export interface CacheStats {
  readonly documents: number
  readonly materialised: number
  /** Estimated bytes of the materialised documents (see {@link CacheSize}). */
  readonly bytes: number
  readonly evictions: number
  /** How the last open found its persisted index: current, caught up with the store, or rebuilt. */
  readonly opened: IndexOpening
  /**
   * Entries the last open (or rebuild, after a trust change) read from the store and materialised
   * again: 0 when the index was current; those after the index's position when it caught up
   * (after a crash, at most 256 and the entries of the write under way, as the index is written at
   * least that often); every entry of the store when it was rebuilt.
   */
  readonly caughtUp: number
}

/** Where a document stands for this reader. */
export type DocumentStatus = 'ready' | 'deleted' | 'locked' | 'untrusted' | 'unknown'

/** A row of `Database.listDocuments`. */
export interface DocumentInfo {
  readonly id: DocId
  readonly status: DocumentStatus
  /** True when this database created it; false for documents shared in by a partner. */
  readonly own: boolean
  readonly origin: Origin | undefined
  readonly keyId: KeyId | undefined
}

/** Options of `Database.pullChangesFrom` and `Database.pushChangesTo`. */
export interface SyncCallOptions extends ProgressOptions {
  readonly signal?: AbortSignal
  /**
   * Bytes of entries a pull or push reads and appends per batch, about (default 32 MiB): what it
   * holds at once is about two such batches however large the entries (attachment chunks). See
   * `CopyOptions.maxBatchBytes`.
   */
  readonly maxBatchBytes?: number
}

/** What a pull or push moved and what the receiving database made of it. */
export interface SyncReport {
  readonly transferred: number
  readonly existing: number
  readonly rejected: RejectedEntry[]
  readonly materialised: MaterialiseReport
}

export interface DatabaseEvents extends Record<string, unknown> {
  /** Documents whose state changed, and whether the change was written here or received. */
  'docs-changed': { readonly docIds: DocId[]; readonly source: 'local' | 'received' }
  /** A background materialisation (of entries appended by another writer) failed. */
  error: { readonly error: WeftError }
}
