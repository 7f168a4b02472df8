import { Mutex } from '../store/index.ts'
import type { TrustCutoff } from '../tenant/index.ts'
import { asDbName, asTenantId, type ChangeHash, type DbName, type TenantId } from '../types.ts'
import { hasPermission, type Grant } from './Grant.ts'
import { CutoffRecords, type CutoffRecord } from './CutoffRecords.ts'
import { entriesSignedBy } from './entriesSignedBy.ts'
import { partnerSigners } from './partnerSigners.ts'
import type { IssuedGrantRecord, ReceivedGrantRecord } from './GrantRecords.ts'
import type { SharingHost } from './SharingHost.ts'

/** The grant records write trust is derived from. */
export interface GrantMaps {
  readonly issued: ReadonlyMap<string, IssuedGrantRecord>
  readonly received: ReadonlyMap<string, ReceivedGrantRecord>
}

interface PartnerDb {
  readonly partner: string
  readonly db: string
}

const NOTHING: ReadonlySet<ChangeHash> = new Set()
const keyOf = (p: PartnerDb): string => `${p.partner}/${p.db}`

/** True for a grant that has not ended (a pending grant's partner is trusted from the start). */
export function isLive(rec: IssuedGrantRecord): boolean {
  return rec.status === 'active' || rec.status === 'pending'
}

/**
 * @internal The issuer's trust in its write partners' signers, database by database. While a
 * write grant to a partner covering a database is live, the partner's signers are trusted there
 * (the grant added the partner's links). When the last such grant ends, the entries the partner
 * signed that the database holds at that moment are recorded, and from then on its signers count
 * there only on those: what was delivered before the end stays delivered, nothing later is
 * materialised. A partner's own documents it shares with this tenant (a grant this tenant
 * accepted from it) stay trusted. A new write grant makes trust full again.
 *
 * Records are written before the grant's end is saved: a crash in between leaves the grant live
 * and the partner trusted, as before the revocation. Ended write grants without a record (written
 * by an older version) are recorded when the records load. Everything is in force before the
 * tenant's databases materialise anything.
 */
export class WriteTrust {
  readonly #host: SharingHost
  readonly #grants: GrantMaps
  readonly #lock = new Mutex()
  readonly #recorded = new Map<string, CutoffRecord>()
  /** Partner databases whose cut-off is being recorded: nothing new of the partner's counts there meanwhile. */
  readonly #recording = new Map<string, PartnerDb>()
  #records: CutoffRecords | undefined

  constructor(host: SharingHost, grants: GrantMaps) {
    this.#host = host
    this.#grants = grants
  }

  /** Loads the records, records what ended write grants left unrecorded, and puts cut-offs in force. */
  load(): Promise<void> {
    return this.#lock.run(async () => {
      const { kv, prefix } = await this.#host.openTrustRecords()
      this.#records = new CutoffRecords(kv, prefix)
      this.#recorded.clear()
      for (const r of await this.#records.loadAll()) this.#recorded.set(keyOf(r), r)
      for (const rec of this.#grants.issued.values()) {
        if (isLive(rec) || !hasPermission(rec.grant, 'write')) continue
        const partner = rec.grant.partner.tenantId
        const missing = rec.grant.databases.filter(
          (db) => !this.#recorded.has(keyOf({ partner, db })) && !this.#vouched(partner, db),
        )
        if (missing.length) await this.#cut(rec.grant, missing, async () => {})
      }
      await this.#install()
    })
  }

  /**
   * Ends a live write grant's trust: records the cut-off of every database of the grant that no
   * other live write grant to the same partner covers, then calls `save` (which saves the grant as
   * ended), then puts the cut-offs in force.
   */
  end(grant: Grant, save: () => Promise<void>): Promise<void> {
    return this.#lock.run(() => {
      const partner = grant.partner.tenantId
      const dbs = grant.databases.filter((db) => !this.#vouched(partner, db, grant.id))
      return dbs.length ? this.#cut(grant, dbs, save) : save()
    })
  }

  /** Runs `change` (a grant issued or accepted), then re-derives the cut-offs in force. */
  update(change: () => Promise<void>): Promise<void> {
    return this.#lock.run(async () => {
      try {
        await change()
      } finally {
        await this.#install()
      }
    })
  }

  async #cut(grant: Grant, dbs: readonly string[], save: () => Promise<void>): Promise<void> {
    const partner = grant.partner.tenantId
    for (const db of dbs) this.#recording.set(keyOf({ partner, db }), { partner, db })
    try {
      // Held back first, then the store's head read: whatever the partner signed that was
      // materialised before is at or under that head, and so is kept.
      await this.#install()
      const signers = partnerSigners(grant, this.#host.partners())
      for (const db of dbs) {
        const store = await this.#host.openStore(db)
        const kept = await entriesSignedBy(store, signers, (await store.head()).seq)
        const record: CutoffRecord = { partner, db, grantId: grant.id, kept }
        await this.#records!.put(record)
        this.#recorded.set(keyOf(record), record)
      }
      await save()
    } finally {
      for (const db of dbs) this.#recording.delete(keyOf({ partner, db }))
      await this.#install()
    }
  }

  /** The entries of `partner` that `db` kept when its trust there was cut off, if it was. */
  keptFor(partner: string, db: string): ReadonlySet<ChangeHash> | undefined {
    return this.#recorded.get(keyOf({ partner, db }))?.kept
  }

  /** True when a live write grant to `partner` other than `except` covers `db`. */
  #vouched(partner: string, db: string, except?: string): boolean {
    for (const r of this.#grants.issued.values()) {
      const g = r.grant
      if (
        g.id !== except &&
        g.partner.tenantId === partner &&
        isLive(r) &&
        hasPermission(g, 'write') &&
        g.databases.includes(db)
      )
        return true
    }
    return false
  }

  /** Databases of `partner` it shares with this tenant into `db` (grants accepted from it). */
  #ownOrigins(partner: string, db: string): Set<DbName> {
    const out = new Set<DbName>()
    for (const r of this.#grants.received.values()) {
      if (r.grant.source.tenantId !== partner) continue
      for (const [remote, local] of Object.entries(r.databases)) if (local === db) out.add(asDbName(remote))
    }
    return out
  }

  #install(): Promise<void> {
    const inForce = new Map<TenantId, Map<DbName, TrustCutoff>>()
    const add = (p: PartnerDb, kept: ReadonlySet<ChangeHash>): void => {
      let dbs = inForce.get(asTenantId(p.partner))
      if (!dbs) inForce.set(asTenantId(p.partner), (dbs = new Map()))
      dbs.set(asDbName(p.db), { kept, ownOrigins: this.#ownOrigins(p.partner, p.db) })
    }
    for (const r of this.#recorded.values()) if (!this.#vouched(r.partner, r.db)) add(r, r.kept)
    for (const p of this.#recording.values()) add(p, NOTHING)
    return this.#host.setTrustCutoffs(inForce)
  }
}
