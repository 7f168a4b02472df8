import type { ChangeHash, Cursor } from '../types.ts'
import type { ScanItem, ScanPage, StoreHead } from './ChangeStore.ts'

/** Hex characters of an entry hash a cursor keeps as the check of its position (64 bits). */
const CURSOR_CHECK_CHARS = 16

/** The position check a cursor at the entry `hash` carries. */
export function positionCheck(hash: ChangeHash): string {
  return hash.slice(0, CURSOR_CHECK_CHARS)
}

/** Arrival positions {@link findInArrivalOrder} (and so `BaseChangeStore.inArrivalOrder`) reads at a time. */
const ARRIVAL_WALK_PAGE = 10_000

/** A backend's read of its arrival index: entries with arrival number greater than `afterSeq`, at most `limit`. */
export type ArrivalScan = (afterSeq: number, limit: number) => Promise<ScanItem[]>

/**
 * The held hashes among `hashes`, in arrival order, walking the arrival index from the start
 * until every one is found or the index ends (see `BaseChangeStore.inArrivalOrder`).
 */
export async function findInArrivalOrder(hashes: readonly ChangeHash[], scan: ArrivalScan): Promise<ChangeHash[]> {
  const wanted = new Set(hashes)
  const found: ChangeHash[] = []
  for (let after = 0; found.length < wanted.size;) {
    const page = await scan(after, ARRIVAL_WALK_PAGE)
    for (const item of page) if (wanted.has(item.hash)) found.push(item.hash)
    if (page.length < ARRIVAL_WALK_PAGE) break
    after = page.at(-1)!.seq
  }
  return found
}

/**
 * A page of at most `limit` entries after the cursor `since` (from the start when null), and the
 * cursor after it, for a store whose head is `head` (see `ChangeStore.scan`).
 */
export async function scanPage(
  since: Cursor | null,
  limit: number,
  head: StoreHead,
  scan: ArrivalScan,
): Promise<ScanPage> {
  // A cursor of another epoch, or past the newest entry of its own (a copy of this store that had
  // gone further, and this one was restored from an older backup), starts over. So does one whose
  // position check names another entry than this store holds at its `seq`: a restored store that
  // has since taken other entries past the cursor's number.
  let reset = since !== null && (since.epoch !== head.epoch || since.seq > head.seq)
  let at: string | undefined
  if (since !== null && !reset && since.seq > 0) {
    const [held] = await scan(since.seq - 1, 1)
    if (!held || held.seq !== since.seq || (typeof since.at === 'string' && !held.hash.startsWith(since.at)))
      reset = true
    else at = positionCheck(held.hash)
  }
  const after = since === null || reset ? 0 : since.seq
  const entries = await scan(after, limit)
  const last = entries[entries.length - 1]
  const cursor: Cursor = last
    ? { epoch: head.epoch, seq: last.seq, at: positionCheck(last.hash) }
    : after > 0 && at !== undefined
      ? { epoch: head.epoch, seq: after, at }
      : { epoch: head.epoch, seq: after }
  return { entries, cursor, reset, done: entries.length < limit }
}
