import { openDB, type DBSchema, type IDBPDatabase } from 'idb'
import type { EntryKind } from '@weft/core/backend'
import { migrateArrivalRows } from './migrateArrivalRows.ts'

/**
 * The entries one append added, in arrival order: the `log` object store's value, keyed by the
 * arrival number of its first entry (the others follow without gaps).
 */
export interface LogRecord {
  readonly hashes: readonly string[]
  readonly docIds: readonly string[]
  readonly kinds: readonly EntryKind[]
}

/**
 * The documents of one append, up to 32 of them (`DOCS_PER_GROUP`): the `docGroups` object
 * store's value. `docs[i]` is `[store, docId]` (what the `byDoc` index is built on) and `hashes[i]`
 * the hashes the append added to that document, in arrival order.
 */
export interface DocGroupRecord {
  readonly docs: readonly (readonly [string, string])[]
  readonly hashes: readonly (readonly string[])[]
}

/** Where a change store's arrival order stands: the `meta` object store's value. */
export interface StoreMeta {
  readonly epoch: string
  /** Arrival number of the newest entry; entries are never removed, so it is also the count. */
  readonly seq: number
  /**
   * 2 when the store's range-fingerprint index (`prefixSums`) is complete; anything else (a store
   * written by an older layout) has it rebuilt from the entries on open.
   */
  readonly index?: number
}

/**
 * The layout of one Weft IndexedDB database. Every change store and record store opened through
 * one {@link IdbStoreFactory} lives in these object stores, keyed first by its own name.
 *
 * - `entries`: `[store, hash]` → the exact entry bytes. Key order is hash order, so a hash range
 *   is one key range.
 * - `log`: `[store, firstSeq]` → {@link LogRecord}: the arrival order, one record per append.
 * - `docGroups`: `[store, firstSeq, group]` → {@link DocGroupRecord}: the documents one append
 *   touched, 32 to a record, with the hashes it added to each. The multi-entry
 *   index `byDoc` lists each record under every `[store, docId]` it holds, so a document's history
 *   is one index key, in arrival order (an index keeps equal keys in primary-key order).
 * - `docs`: `[store, docId, firstSeq]` → the hashes one append added to that document: how version
 *   3 kept a document's history, one record per document per append. Kept and read, never written:
 *   every append since the upgrade to version 4 came after those in it.
 * - `meta`: `store` → {@link StoreMeta}.
 * - `prefixSums`: `[store, group]` → the range-fingerprint index (`prefixSums.ts` in the core) at
 *   depth 3, in 17 binary records: group `''` holds the nodes of prefixes of 0 and 1 characters,
 *   group `d` those of 2 and 3 characters starting with `d`.
 * - `records`: `[recordStore, key]` → bytes, for {@link IdbKeyValueStore}.
 *
 * One record per append rather than one per entry is what makes an append cheap: IndexedDB
 * charges per request and per index far more than per byte.
 */
export interface WeftIdbSchema extends DBSchema {
  entries: { key: [string, string]; value: Uint8Array }
  log: { key: [string, number]; value: LogRecord }
  docs: { key: [string, string, number]; value: string[] }
  docGroups: { key: [string, number, number]; value: DocGroupRecord; indexes: { byDoc: [string, string] } }
  meta: { key: string; value: StoreMeta }
  records: { key: [string, string]; value: Uint8Array }
  prefixSums: { key: [string, string]; value: Uint8Array }
}

/** An open Weft IndexedDB database. */
export type WeftIdb = IDBPDatabase<WeftIdbSchema>

/** Layout version; a new version adds an upgrade step below. */
export const WEFT_IDB_VERSION = 4

/**
 * Opens (creating or upgrading) the Weft IndexedDB database `name`. When another tab asks to
 * upgrade it, this connection closes so the upgrade is not blocked; later calls on it fail with
 * `WEFT_STORAGE_ERROR`.
 *
 * Upgrading a version 1 or 2 database rewrites its per-entry arrival rows as per-append `log` and
 * `docs` records in the upgrade transaction (all or nothing: a failed upgrade leaves version 2), and
 * drops the old index, which each store rebuilds when next opened. Upgrading to version 4 adds
 * `docGroups`: one record per 32 documents of an append rather than one per document, which made
 * an append touching many documents take twice the requests of one touching few. Its `docs`
 * records stay as they are.
 */
export function openWeftIdb(name: string): Promise<WeftIdb> {
  const opening: Promise<WeftIdb> = openDB<WeftIdbSchema>(name, WEFT_IDB_VERSION, {
    upgrade(db, oldVersion, _newVersion, tx) {
      if (oldVersion < 1) {
        db.createObjectStore('entries')
        db.createObjectStore('meta')
        db.createObjectStore('records')
      }
      if (oldVersion < 3) {
        db.createObjectStore('log')
        db.createObjectStore('docs')
        db.createObjectStore('prefixSums')
        if (oldVersion >= 1) {
          // A failed migration aborts the upgrade; the open then fails with the abort, reported there.
          tx.done.catch(() => undefined)
          migrateArrivalRows(db, tx)
        }
      }
      if (oldVersion < 4) db.createObjectStore('docGroups').createIndex('byDoc', 'docs', { multiEntry: true })
    },
    blocking() {
      void opening.then((db) => db.close())
    },
  })
  return opening
}
