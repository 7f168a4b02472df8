import { ErrorCodes, WeftError } from '../errors.ts'
import type { RoundResult } from './runRound.ts'
import type { SyncAllResult } from './status.ts'

/** How one relationship's round ended. */
export type RoundReport = { ok: true; result: RoundResult } | { ok: false; error: WeftError }

/** The report of a round booked as idle: nothing moved. */
export const IDLE_REPORT: RoundReport = Object.freeze({
  ok: true,
  result: Object.freeze({ moved: new Map(), sent: 0, received: 0 }),
})

/** The rounds of the relationships `ids` (in their order) as one result: who synced, who failed, what moved. */
export function foldReports(ids: readonly string[], reports: readonly RoundReport[]): SyncAllResult {
  const result: { synced: string[]; failed: { id: string; error: WeftError }[]; sent: number; received: number } = {
    synced: [],
    failed: [],
    sent: 0,
    received: 0,
  }
  reports.forEach((report, i) => {
    const id = ids[i]!
    if (report.ok) {
      result.synced.push(id)
      result.sent += report.result.sent
      result.received += report.result.received
    } else result.failed.push({ id, error: report.error })
  })
  return result
}

/** A round's failure as a typed error: anything not already one is the partner being unavailable. */
export function asWeftError(err: unknown): WeftError {
  return err instanceof WeftError
    ? err
    : new WeftError(ErrorCodes.PARTNER_UNAVAILABLE, err instanceof Error ? err.message : String(err), { cause: err })
}
