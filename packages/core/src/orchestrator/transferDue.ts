import type { ChangeStore } from '../store/index.ts'
import { targetRegressed, type SyncState, type SyncTarget } from '../sync/index.ts'

/**
 * Whether a transfer has something to do: the sending store holds entries past its cursor (or
 * another epoch), or, under a grant, the receiving side lost entries since the last run (a relay
 * server restored from an older copy). One `head()` of the source, and under a grant one of the
 * target; grant rounds cost more than that anyway, plain idle rounds stay at one read.
 */
export async function transferDue(
  state: SyncState,
  source: ChangeStore,
  target: SyncTarget,
  underGrant: boolean,
): Promise<boolean> {
  const head = await source.head()
  const cursor = state.cursor
  if (cursor === null ? head.seq > 0 : cursor.epoch !== head.epoch || cursor.seq < head.seq) return true
  return underGrant && (await targetRegressed(state.target, target))
}
