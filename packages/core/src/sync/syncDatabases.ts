import type { Database, SyncReport } from '../db/index.ts'

/** Syncs two databases both ways: `b` pulls from `a`, then `a` pulls from `b`. */
export async function syncDatabases(a: Database, b: Database): Promise<{ aToB: SyncReport; bToA: SyncReport }> {
  const aToB = await b.pullChangesFrom(a)
  const bToA = await a.pullChangesFrom(b)
  return { aToB, bToA }
}
