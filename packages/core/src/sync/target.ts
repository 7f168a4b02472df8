import { Database } from '../db/index.ts'
import type { ChangeStore } from '../store/index.ts'
import type { ChangeHash } from '../types.ts'

/**
 * Either end of a sync: a database (entries it receives are materialised) or a bare store (entries
 * are relayed as they are, e.g. a server's copy).
 */
export type SyncTarget = Database | ChangeStore

export function storeOf(x: SyncTarget): ChangeStore {
  return x instanceof Database ? x.getStore() : x
}

/** After entries are durable in the target's store, materialise them if the target is a database. */
export async function afterDelivery(target: SyncTarget, added: readonly ChangeHash[]): Promise<void> {
  if (added.length && target instanceof Database) await target.syncStoreChanges(added)
}
