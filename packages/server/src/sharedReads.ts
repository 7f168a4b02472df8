import type { ChangeHash, ChangeStore, Cursor, EntryEnvelope, ScanPage } from '@weft/core/backend'
import { shareInTurn } from './shareInTurn.ts'

const scans = new WeakMap<ChangeStore, Map<string, Promise<ScanPage>>>()
const reads = new WeakMap<ChangeStore, Map<string, Promise<EntryEnvelope[]>>>()

function table<T>(tables: WeakMap<ChangeStore, Map<string, Promise<T>>>, store: ChangeStore): Map<string, Promise<T>> {
  let t = tables.get(store)
  if (!t) tables.set(store, (t = new Map()))
  return t
}

/**
 * A page of `store` after `cursor`, read once for all the live subscriptions that ask for the same
 * page in the same turn (an entry stored wakes every subscriber of its database, each at the same
 * cursor): one read of the storage per process and database, not one per subscriber.
 */
export function scanShared(store: ChangeStore, cursor: Cursor | null, limit: number): Promise<ScanPage> {
  const key = cursor ? `${cursor.epoch}\u0000${cursor.seq}\u0000${cursor.at ?? ''}\u0000${limit}` : `\u0000${limit}`
  return shareInTurn(table(scans, store), key, () => store.scan(cursor, { limit }))
}

/** `store`'s `getChanges`, read once for every caller asking for the same hashes in the same turn. */
export function sharedReader(store: ChangeStore): Pick<ChangeStore, 'getChanges'> {
  return {
    getChanges: (hashes: readonly ChangeHash[]) =>
      shareInTurn(table(reads, store), hashes.join(','), () => store.getChanges(hashes)),
  }
}
