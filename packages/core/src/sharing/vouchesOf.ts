import type { Vouch, Vouches } from '../tenant/index.ts'
import { asDbName, asTenantId, type DbName } from '../types.ts'
import type { ReceivedGrantRecord } from './GrantRecords.ts'
import type { SignedWriterRoster } from './WriterRoster.ts'

/**
 * The vouches a partner derives from the rosters its issuers handed over: in the local database a
 * granted database syncs into, each writer's keys count on the issuer's documents of that
 * database (within the kept entries once the writer's grant ended).
 */
export function vouchesOf(
  received: ReadonlyMap<string, ReceivedGrantRecord>,
  rosters: ReadonlyMap<string, SignedWriterRoster>,
): Vouches {
  const out = new Map<DbName, Map<string, Vouch[]>>()
  for (const roster of rosters.values()) {
    const rec = received.get(roster.grantId)
    if (!rec) continue
    for (const w of roster.writers) {
      const local = rec.databases[w.db]
      if (local === undefined) continue
      const vouch: Vouch = {
        origin: { tenant: asTenantId(roster.source), db: asDbName(w.db) },
        kept: w.kept === null ? null : new Set(w.kept),
      }
      let bySigner = out.get(asDbName(local))
      if (!bySigner) out.set(asDbName(local), (bySigner = new Map()))
      for (const key of w.keys) {
        const list = bySigner.get(key)
        if (list) list.push(vouch)
        else bySigner.set(key, [vouch])
      }
    }
  }
  return out
}
