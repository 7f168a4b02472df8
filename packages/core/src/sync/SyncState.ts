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
}

/** The state to start a sync from scratch. */
export function initialSyncState(): SyncState {
  return { v: 1, cursor: null, totalSent: 0, lastSent: 0, lastRejected: 0 }
}
