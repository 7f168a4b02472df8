import type { CappedEntries, ChangeHash, ChangeStore, Cursor, EntryEnvelope, ScanPage } from '@weft/core/backend'
import { shareInTurn } from './shareInTurn.ts'

const scans = new WeakMap<ChangeStore, Map<string, Promise<ScanPage>>>()
const reads = new WeakMap<ChangeStore, Map<string, Promise<EntryEnvelope[]>>>()
const cappedReads = new WeakMap<ChangeStore, Map<string, Promise<CappedEntries>>>()
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
 * `store`'s `getChanges` (and `getChangesUpTo`, when it has it), read once for every caller asking
 * for the same hashes (and cap) in the same turn.
 */
export function sharedReader(store: ChangeStore): Pick<ChangeStore, 'getChanges' | 'getChangesUpTo'> {
  const getChanges = (hashes: readonly ChangeHash[]) =>
    shareInTurn(table(reads, store), hashes.join(','), () => store.getChanges(hashes))
  if (!store.getChangesUpTo) return { getChanges }
  return {
    getChanges,
    getChangesUpTo: (hashes: readonly ChangeHash[], maxBytes: number) =>
      shareInTurn(table(cappedReads, store), `${maxBytes}\u0000${hashes.join(',')}`, () =>
        store.getChangesUpTo!(hashes, maxBytes),
      ),
  }
}
