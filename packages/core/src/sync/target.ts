import { Database } from '../db/index.ts'
import type { ChangeStore } from '../store/index.ts'
import type { ChangeHash, Cursor } from '../types.ts'

/**
 * Either end of a sync: a database (entries it receives are materialised) or a bare store (entries
 * are relayed as they are, e.g. a server's copy).
 */
export type SyncTarget = Database | ChangeStore

export function storeOf(x: SyncTarget): ChangeStore {
  return x instanceof Database ? x.getStore() : x
}

/**
 * Whether `target` lost entries since `saved` (its head after the last run): it is in another
 * epoch, or its newest arrival number went back. Unknown (`undefined`) is not a loss.
 */
export async function targetRegressed(saved: Cursor | undefined, target: SyncTarget): Promise<boolean> {
  if (!saved) return false
  const head = await storeOf(target).head()
  return head.epoch !== saved.epoch || head.seq < saved.seq
}

/** After entries are durable in the target's store, materialise them if the target is a database. */
export async function afterDelivery(target: SyncTarget, added: readonly ChangeHash[]): Promise<void> {
  if (added.length && target instanceof Database) await target.syncStoreChanges(added)
}
