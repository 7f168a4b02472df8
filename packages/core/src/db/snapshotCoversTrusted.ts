import { parseEntry, type ParsedEntry } from '../entries/index.ts'
import type { ChangeStore } from '../store/index.ts'
import type { TrustPolicy } from '../tenant/index.ts'
import type { ChangeHash, DbName } from '../types.ts'
import { snapshotPayloadOf } from './snapshotCovers.ts'

const FETCH_CHUNK = 2_000

/**
 * True when every entry a snapshot covers is one this database may materialise. Checked only
 * when some device counts on fewer than all its entries (removed, a reader): a member's snapshot
 * written before it heard of a removal may cover entries no longer trusted, and is then passed
 * over for older snapshots or the entries themselves. Reads the covered entries' headers only.
 */
export async function snapshotCoversTrusted(
  store: ChangeStore,
  trust: TrustPolicy,
  db: DbName,
  entry: ParsedEntry,
  key: Uint8Array,
): Promise<boolean> {
  if (!trust.hasDeviceLimits()) return true
  let covers: readonly ChangeHash[]
  try {
    covers = snapshotPayloadOf(entry, key).covers
  } catch {
    return true // the load refuses it with its code
  }
  for (let i = 0; i < covers.length; i += FETCH_CHUNK) {
    for (const env of await store.getChanges(covers.slice(i, i + FETCH_CHUNK))) {
      try {
        const h = parseEntry(env.hash, env.bytes).header
        if (!trust.evaluate(db, h.origin, h.author, env.hash).ok) return false
      } catch {
        return false
      }
    }
  }
  return true
}
