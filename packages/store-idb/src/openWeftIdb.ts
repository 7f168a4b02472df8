import { openDB, type DBSchema, type IDBPDatabase } from 'idb'
import type { EntryKind } from '@weft/core/backend'

/** One entry in a change store's arrival order: the `arrival` object store's value. */
export interface ArrivalRecord {
  /** Name of the change store (several share one IndexedDB database). */
  readonly s: string
  readonly seq: number
  readonly hash: string
  readonly docId: string
  readonly kind: EntryKind
}

/** Where a change store's arrival order stands: the `meta` object store's value. */
export interface StoreMeta {
  readonly epoch: string
  /** Arrival number of the newest entry; entries are never removed, so it is also the count. */
  readonly seq: number
  /** 1 when the store's range-fingerprint index (`sums`) is complete; otherwise it is rebuilt on open. */
  readonly index?: 1
}

/**
 * The layout of one Weft IndexedDB database. Every change store and record store opened through
 * one {@link IdbStoreFactory} lives in these four object stores, keyed first by its own name.
 *
 * - `entries`: `[store, hash]` → the exact entry bytes. Key order is hash order, so a hash range
 *   is one key range.
 * - `arrival`: `[store, seq]` → {@link ArrivalRecord}, with the index `byDoc` on `[store, docId]`
 *   (index order within one key is primary-key order, that is arrival order).
 * - `meta`: `store` → {@link StoreMeta}.
 * - `sums`: `[store, prefix]` → `<count>:<sum>`: the range-fingerprint index, one node per hex
 *   prefix of 0 to 4 characters that some entry's hash starts with (`prefixSums.ts` in the core).
 * - `records`: `[recordStore, key]` → bytes, for {@link IdbKeyValueStore}.
 */
export interface WeftIdbSchema extends DBSchema {
  entries: { key: [string, string]; value: Uint8Array }
  arrival: { key: [string, number]; value: ArrivalRecord; indexes: { byDoc: [string, string] } }
  meta: { key: string; value: StoreMeta }
  records: { key: [string, string]; value: Uint8Array }
  sums: { key: [string, string]; value: string }
}

/** An open Weft IndexedDB database. */
export type WeftIdb = IDBPDatabase<WeftIdbSchema>

/** Layout version; a new version adds an upgrade step below. */
export const WEFT_IDB_VERSION = 2

/**
 * Opens (creating or upgrading) the Weft IndexedDB database `name`. When another tab asks to
 * upgrade it, this connection closes so the upgrade is not blocked; later calls on it fail with
 * `WEFT_STORAGE_ERROR`.
 */
export function openWeftIdb(name: string): Promise<WeftIdb> {
  const opening: Promise<WeftIdb> = openDB<WeftIdbSchema>(name, WEFT_IDB_VERSION, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        db.createObjectStore('entries')
        db.createObjectStore('arrival', { keyPath: ['s', 'seq'] }).createIndex('byDoc', ['s', 'docId'])
        db.createObjectStore('meta')
        db.createObjectStore('records')
      }
      // Version 2: the range-fingerprint index. Stores opened afterwards build theirs (their meta lacks `index`).
      if (oldVersion < 2) db.createObjectStore('sums')
    },
    blocking() {
      void opening.then((db) => db.close())
    },
  })
  return opening
}
