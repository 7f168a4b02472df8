import type { ChangeHash } from '../types.ts'
import type { Grant } from './Grant.ts'
import { hasPermission } from './Grant.ts'
import type { GrantBook } from './GrantBook.ts'
import { partnerSigners } from './partnerSigners.ts'
import { isLive } from './WriteTrust.ts'
import type { RosterWriter, WriterRoster } from './WriterRoster.ts'

/** The roster an issuer owes one grant's partner, and a cheap string that changes whenever it does. */
export interface PlannedRoster {
  /** Equal for equal rosters; `''` when there is nobody to vouch for. */
  readonly version: string
  build(seq: number): WriterRoster
}

/**
 * The other write partners of `grant`'s databases, as the issuer vouches for them to the grant's
 * partner: live ones without limit, ended ones with the entries the issuer kept of theirs.
 */
export function rosterFor(book: GrantBook, grant: Grant): PlannedRoster {
  const byWriter = new Map<string, { db: string; tenant: string; keys: Set<string>; live: boolean }>()
  for (const rec of book.issued.values()) {
    const g = rec.grant
    if (g.partner.tenantId === grant.partner.tenantId || !hasPermission(g, 'write')) continue
    for (const db of g.databases) {
      if (!grant.databases.includes(db)) continue
      const k = `${g.partner.tenantId}\u0000${db}`
      let w = byWriter.get(k)
      if (!w) byWriter.set(k, (w = { db, tenant: g.partner.tenantId, keys: new Set(), live: false }))
      for (const key of partnerSigners(g, book.host.partners())) w.keys.add(key)
      w.live ||= isLive(rec)
    }
  }
  const planned: { db: string; tenant: string; keys: string[]; kept: ReadonlySet<ChangeHash> | null }[] = []
  const parts: string[] = []
  for (const w of [...byWriter.values()].sort((a, b) => (a.tenant + a.db < b.tenant + b.db ? -1 : 1))) {
    const kept = w.live ? null : book.writeTrust.keptFor(w.tenant, w.db)
    if (kept === undefined) continue // ended before anything was recorded: nothing to vouch for
    const keys = [...w.keys].sort()
    planned.push({ db: w.db, tenant: w.tenant, keys, kept })
    parts.push(`${w.tenant}|${w.db}|${keys.join(',')}|${kept ? kept.size : 'live'}`)
  }
  return {
    version: parts.join(';'),
    build: (seq) => ({
      v: 1,
      grantId: grant.id,
      source: grant.source.tenantId,
      seq,
      writers: planned.map((w): RosterWriter => ({
        db: w.db,
        tenant: w.tenant,
        keys: w.keys,
        kept: w.kept ? [...w.kept].sort() : null,
      })),
    }),
  }
}
