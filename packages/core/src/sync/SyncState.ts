import type { Cursor } from '../types.ts'

/**
 * Saved progress of one incremental or filtered sync between a source database and a target.
 * A plain, JSON-safe value: keep one per (source, target, database) and pass it back next time.
 */
export interface SyncState {
  readonly v: 1
  /** Source cursor: every source entry up to here was scanned and the target committed it. */
  readonly cursor: Cursor | null
  /** Entries sent to the target over the life of this state. */
  readonly totalSent: number
  /** Entries sent in the run that produced this state. */
  readonly lastSent: number
  /** Source entries the target refused in the last run (kept out, reported, never retried here). */
  readonly lastRejected: number
  /**
   * The target's head after the last run. A target found in another epoch or behind it next time
   * (a server restored from an older copy, a store recreated) lost entries: the sync starts over
   * from the beginning of the source and sends what the target lacks. Absent in older states.
   */
  readonly target?: Cursor
  /**
   * Fingerprint of the filter the cursor was walked under (see `filterFingerprint`); absent for an
   * unfiltered sync. Another filter next time starts a full filtered pass from the beginning of the
   * source: documents that match now, though they did not change, are sent (the target keeps what
   * it already holds). A state saved before this field existed is taken as unfiltered.
   */
  readonly filter?: string
}

/** The state to start a sync from scratch. */
export function initialSyncState(): SyncState {
  return { v: 1, cursor: null, totalSent: 0, lastSent: 0, lastRejected: 0 }
}
