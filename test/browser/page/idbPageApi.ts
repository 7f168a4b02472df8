/** What the IndexedDB test page offers the Node side (types only; shared by both sides). */
import type { TestResult } from './vitestInPage.ts'

export type { TestResult }

/** A change store's state as seen from the page. */
export interface StoreSnapshot {
  readonly hashes: string[]
  readonly head: { readonly epoch: string; readonly seq: number; readonly count: number }
}

/** An append that was expected to fail, and what it left behind. */
export interface FailedAppend {
  /** The `WeftError` code the append failed with, or `'none'` if it did not fail. */
  readonly code: string
  /** Entries of the failed batch that the store holds afterwards (should be none). */
  readonly keptOfFailedBatch: number
  readonly before: StoreSnapshot
  readonly after: StoreSnapshot
  /** Whether a later append of the same batch (with the cause removed) succeeded; not tried after a real quota refusal. */
  readonly retried?: boolean
  /** How many of the entries held before the failure still read back afterwards. */
  readonly readable: number
  /** Batches appended before the failure (quota filling). */
  readonly batchesBeforeFailure: number
}

/** What a store upgraded from an older layout reads back, beside what was written. */
export interface UpgradeCheck {
  readonly written: string[]
  readonly scanned: string[]
  readonly seqs: number[]
  readonly head: StoreSnapshot['head']
  /** Documents whose hashes read back in arrival order. */
  readonly docsMatching: number
  readonly docs: number
  /** Ranges whose fingerprint equals that of the written hashes in them. */
  readonly fingerprintsMatching: number
  readonly ranges: number
  /** The arrival number the next append took. */
  readonly nextSeq: number
}

export interface IdbPageApi {
  /** Runs the core `ChangeStore` conformance suite against `IdbChangeStore` in this page. */
  runConformance(): Promise<TestResult[]>
  /** Appends `count` entries to store `store` of IndexedDB database `database`. */
  writeEntries(database: string, store: string, count: number): Promise<StoreSnapshot>
  /**
   * Reopens the store and reads it; `verified` counts held entries whose bytes still verify
   * (re-appending them is a no-op reported as `existing`).
   */
  readEntries(database: string, store: string): Promise<StoreSnapshot & { verified: number }>
  /** Opens the store and records what its subscribers hear (see `heard`). */
  listen(database: string, store: string): Promise<void>
  /** Hashes the listening store's subscribers heard so far, and which of them it can read. */
  heard(): Promise<{ hashes: string[]; readable: number }>
  /** Creates (or opens) tenant `tenantId` and opens its database `notes`; records documents that change. */
  openTenant(database: string, tenantId: string, create: boolean): Promise<void>
  /** Creates a document in the open tenant's `notes` database; returns its id. */
  createDocument(data: Record<string, string>): Promise<string>
  /** Waits until document `id` is readable in the open tenant's `notes` database; returns its data. */
  waitForDocument(id: string, timeoutMs: number): Promise<unknown>
  /** An append whose 4th entry write (`IDBObjectStore.add`) throws a `QuotaExceededError`. */
  failWithThrownQuotaError(database: string): Promise<FailedAppend>
  /**
   * Writes `count` entries over 7 documents in the layout of IndexedDB version `version` (1 or 2),
   * opens the store (which upgrades the database) and compares what it reads with what was written.
   */
  upgradeOldLayout(database: string, version: 1 | 2, count: number): Promise<UpgradeCheck>
  /** An append whose transaction is aborted after its 4th record write (`IDBObjectStore.put`). */
  failWithAbortedTransaction(database: string): Promise<FailedAppend>
  /** Appends batches of large entries until the browser refuses one (set a small quota first). */
  fillUntilQuota(database: string, entryBytes: number, batchSize: number, maxBatches: number): Promise<FailedAppend>
  /** Closes everything the page opened and deletes database `database`. */
  dispose(databases: string[]): Promise<void>
}

declare global {
  var weftIdbPage: IdbPageApi | undefined
}
