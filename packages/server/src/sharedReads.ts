import type { ChangeHash, ChangeStore, Cursor, ScanPage } from '@weft/core/backend'
import { encodeBody, type ServerSocketMessage } from '@weft/protocol'
import { readEntriesCapped, type CappedRead } from './readEntriesCapped.ts'
import { shareInTurn } from './shareInTurn.ts'

const scans = new WeakMap<ChangeStore, Map<string, Promise<ScanPage>>>()
const pages = new WeakMap<ChangeStore, Map<string, Promise<CappedRead>>>()
/** The messages encoded of a page read, by the position they carry. */
const encoded = new WeakMap<CappedRead, Map<string, Uint8Array>>()
/** Per store: how many times something was stored since it was first seen, and the last notice. */
const generations = new WeakMap<ChangeStore, { cause: object; n: number }>()

function table<T>(tables: WeakMap<ChangeStore, Map<string, Promise<T>>>, store: ChangeStore): Map<string, Promise<T>> {
  let t = tables.get(store)
  if (!t) tables.set(store, (t = new Map()))
  return t
}

/**
 * Entries were stored in `store`: a scan asked for from now on starts afresh rather than joining
 * one that began before (whose page may lack them). `cause` is the notice (the array of added
 * hashes a store hands every listener, or a peer process's notice), so the subscribers one
 * notice wakes still share one read.
 */
export function storedSince(store: ChangeStore, cause: object): void {
  const g = generations.get(store)
  if (!g) generations.set(store, { cause, n: 1 })
  else if (g.cause !== cause) {
    g.cause = cause
    g.n++
  }
}

/**
 * A page of `store` after `cursor`, read once for all the live subscriptions that ask for the same
 * page in the same turn after the same notice (an entry stored wakes every subscriber of its
 * database, each at the same cursor): one read of the storage per process and database, not one
 * per subscriber. A subscription woken by a later notice (see {@link storedSince}) reads anew.
 */
export function scanShared(store: ChangeStore, cursor: Cursor | null, limit: number): Promise<ScanPage> {
  const at = cursor ? `${cursor.epoch}\u0000${cursor.seq}\u0000${cursor.at ?? ''}` : ''
  const key = `${generations.get(store)?.n ?? 0}\u0000${at}\u0000${limit}`
  return shareInTurn(table(scans, store), key, () => store.scan(cursor, { limit }))
}

/**
 * {@link readEntriesCapped} of `hashes`, read once for every live subscription asking for the
 * same page in the same turn (one read of the storage per process and database, not one per
 * subscriber): they get the same {@link CappedRead}, so {@link encodePage} encodes its message
 * once for all of them.
 */
export function readPageShared(
  store: ChangeStore,
  hashes: readonly ChangeHash[],
  limits: { readonly maxBytes: number; readonly maxEntryBytes: number },
): Promise<CappedRead> {
  const key = `${limits.maxBytes}\u0000${limits.maxEntryBytes}\u0000${hashes.join(',')}`
  return shareInTurn(table(pages, store), key, () => readEntriesCapped(store, hashes, limits))
}

/** Where a page's message puts its entries: all of an `entries` message but the entries. */
export type PagePosition = Omit<Extract<ServerSocketMessage, { type: 'entries' }>, 'type' | 'entries'>

/**
 * The encoded `entries` message of `read`'s entries at `position`: encoded once for every
 * subscriber that sends the same page from the same position (a notice wakes every subscriber of
 * a database at the same cursor), not once each. The bytes are never changed, so every socket may
 * send them.
 */
export function encodePage(read: CappedRead, position: PagePosition): Uint8Array {
  const { db, cursor, reset, done } = position
  const key = `${db}\u0000${cursor.epoch}\u0000${cursor.seq}\u0000${cursor.at ?? ''}\u0000${reset}\u0000${done}`
  let byPosition = encoded.get(read)
  if (!byPosition) encoded.set(read, (byPosition = new Map()))
  let bytes = byPosition.get(key)
  if (!bytes) {
    const entries = read.entries.map((e) => ({ hash: e.hash, bytes: e.bytes }))
    bytes = encodeBody({ type: 'entries', db, entries, cursor, reset, done } satisfies ServerSocketMessage)
    byPosition.set(key, bytes)
  }
  return bytes
}
