import type { Database, DocId, MultiTenantSyncOrchestrator, Tenant, TransferLag } from '@weft/core'
import { openAuditRecord, toBase64Url, type AuditTrailExport } from '@weft/core/backend'
import type { RemoteChangeStore } from '../RemoteChangeStore.ts'
import {
  REPORT_KIND,
  STATUS_DB,
  type ReportedAudit,
  type ReportedRelationship,
  type StatusReport,
} from './statusReport.ts'

/** Options of a {@link StatusPublisher}. */
export interface StatusPublisherOptions {
  readonly tenant: Tenant
  /** The orchestrator whose relationships are reported (none: grants, audit and databases only). */
  readonly orchestrator?: MultiTenantSyncOrchestrator
  /** The `_status` database on the server: each report is pushed there once written. */
  readonly remote?: RemoteChangeStore
  /** This host's name in the console (one report document per host). Default `host`. */
  readonly host?: string
  /** The tenant's databases to list, besides the relationships' own. */
  readonly databases?: readonly string[]
  /** Newest audit records carried (default 500): the console verifies that part of the trail. */
  readonly auditRecords?: number
  /** While started: at most one report per `intervalMs` after events (default 2,000), and one every `everyMs` (default 30,000). */
  readonly intervalMs?: number
  readonly everyMs?: number
}

type Draft = Record<string, unknown> & {
  audit?: Record<string, unknown> & { records: { position: number; bytes: string }[] }
}

/**
 * Publishes what a host knows about its tenant for the web console (see docs/console.md): the
 * orchestrator's relationships with their last round, errors, next retry and lag, the grants, the
 * newest part of the audit trail as stored, and the databases. The report is a document in the
 * tenant's `_status` database, so it is encrypted and signed like every entry, and the server
 * relays it without reading it. {@link publish} writes one now; {@link start} writes one after
 * each round (throttled) and on a timer, so the console follows the relationships live.
 */
export class StatusPublisher {
  readonly #o: StatusPublisherOptions
  readonly #host: string
  #db: Promise<Database> | undefined
  #docId: DocId | undefined
  #queue: Promise<unknown> = Promise.resolve()
  #timer: ReturnType<typeof setTimeout> | undefined
  #every: ReturnType<typeof setInterval> | undefined
  #off: (() => void)[] = []
  #last = 0

  constructor(options: StatusPublisherOptions) {
    this.#o = options
    this.#host = options.host ?? 'host'
  }

  /** Writes a report now (and pushes it to the server when `remote` is given); resolves once done. */
  publish(): Promise<void> {
    const run = this.#queue.then(() => this.#publish())
    this.#queue = run.catch(() => {})
    return run
  }

  /** Publishes after each orchestrator round (at most one per `intervalMs`) and every `everyMs`. */
  start(): void {
    if (this.#every) return
    const soon = () => this.#soon()
    const o = this.#o.orchestrator
    if (o)
      for (const e of ['sync-completed', 'sync-failed', 'relationship-enabled', 'relationship-disabled'] as const)
        this.#off.push(o.on(e, soon))
    this.#every = setInterval(() => void this.publish().catch(() => {}), this.#o.everyMs ?? 30_000)
    unref(this.#every)
    soon()
  }

  /** Stops publishing on events and on the timer (a report being written still completes). */
  async stop(): Promise<void> {
    clearInterval(this.#every)
    clearTimeout(this.#timer)
    this.#every = undefined
    for (const off of this.#off.splice(0)) off()
    await this.#queue
  }

  #soon(): void {
    if (this.#timer) return
    const wait = Math.max(0, this.#last + (this.#o.intervalMs ?? 2_000) - Date.now())
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.publish().catch(() => {})
    }, wait)
    unref(this.#timer)
  }

  async #publish(): Promise<void> {
    this.#last = Date.now()
    const { tenant, orchestrator } = this.#o
    const db = await (this.#db ??= tenant.openDB(STATUS_DB))
    const relationships = orchestrator ? reportRelationships(orchestrator, await orchestrator.getLag()) : []
    const databases = [
      ...new Set([
        ...(this.#o.databases ?? []),
        ...(orchestrator?.getStatus().relationships.flatMap((r) => r.databases.map((d) => d.db)) ?? []),
      ]),
    ]
    const grants = (await tenant.sharing.list()).map((g) => ({
      id: g.id,
      role: g.role,
      status: g.status,
      source: g.source,
      partner: g.partner,
      databases: [...g.databases],
      permissions: [...g.permissions],
      expiresAt: g.expiresAt,
      lastSyncAt: g.lastSyncAt,
      syncs: g.syncs,
    }))
    const trail = await tenant.audit.exportTrail({ limit: this.#o.auditRecords ?? 500 })
    const fields = { host: this.#host, publishedAt: tenant.now(), databases, relationships, grants }
    const id = (this.#docId ??= await this.#find(db))
    if (!id) {
      const doc = await db.createDocument({ data: { kind: REPORT_KIND, v: 1, ...fields, audit: auditOf(trail) } })
      this.#docId = doc.getId()
    } else {
      await db.changeDoc(id, (d) => {
        const data = d.getData() as Draft
        for (const [k, v] of Object.entries(fields)) if (canonical(data[k]) !== canonical(v)) data[k] = v
        updateAudit(data, trail)
      })
    }
    if (this.#o.remote) await db.pushChangesTo(this.#o.remote)
  }

  /** This host's report document, when an earlier run wrote one. */
  async #find(db: Database): Promise<DocId | undefined> {
    for (const id of await db.getAllDocumentIds()) {
      const data = (await db.getDocument(id))?.getData() as Partial<StatusReport> | undefined
      if (data?.kind === REPORT_KIND && data.host === this.#host) return id
    }
    return undefined
  }
}

/** JSON with every object's keys sorted: a document's maps come back in their own key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  )
}

/** Lets Node exit while a timer waits (browsers have no such thing). */
function unref(timer: unknown): void {
  ;(timer as { unref?: () => void }).unref?.()
}

function reportRelationships(o: MultiTenantSyncOrchestrator, lag: readonly TransferLag[]): ReportedRelationship[] {
  const behind = (id: string, db: string, direction: 'push' | 'pull') =>
    lag.find((l) => l.relationshipId === id && l.db === db && l.direction === direction)?.behind ?? null
  return o.getStatus().relationships.map((r) => ({
    id: r.id,
    partnerTenant: r.partnerTenant,
    grantId: r.grantId,
    direction: r.direction,
    enabled: r.enabled,
    state: r.state,
    lastSyncAt: r.lastSyncAt,
    lastError: r.lastError && { code: r.lastError.code, message: r.lastError.message, at: r.lastError.at },
    consecutiveFailures: r.consecutiveFailures,
    nextRunAt: r.nextRunAt,
    databases: r.databases.map((d) => ({
      db: d.db,
      remoteDb: d.remoteDb,
      lastSyncAt: d.lastSyncAt,
      lastError: d.lastError && { code: d.lastError.code, message: d.lastError.message, at: d.lastError.at },
      sent: d.sent,
      received: d.received,
      upToDate: d.upToDate,
      behindPush: behind(r.id, d.db, 'push'),
      behindPull: behind(r.id, d.db, 'pull'),
    })),
  }))
}

/** The audit part of a report: records as stored, from the first one carried. */
function auditOf(trail: AuditTrailExport): ReportedAudit {
  const first = trail.records[0]
  const opened = first && openAuditRecord(first.bytes, trail.signingKey)
  return {
    tenant: trail.tenant,
    signingKey: toBase64Url(trail.signingKey),
    head: trail.head ? toBase64Url(trail.head) : null,
    // The record before the first one carried, as the first names it (checked by its signature).
    start: { seq: first?.position ?? 0, prev: opened ? opened.prev : '0'.repeat(64) },
    records: trail.records.map((r) => ({ position: r.position, bytes: toBase64Url(r.bytes) })),
  }
}

/** Updates the report's audit part in place: only records that are new or differ are written. */
function updateAudit(data: Draft, trail: AuditTrailExport): void {
  const next = auditOf(trail)
  const a = data.audit
  if (!a || a.signingKey !== next.signingKey) {
    data.audit = next as unknown as Draft['audit']
    return
  }
  if (a.head !== next.head) a.head = next.head
  if (canonical(a.start) !== canonical(next.start)) a.start = next.start
  const records = a.records
  const from = next.records[0]?.position ?? 0
  let drop = 0
  while (drop < records.length && records[drop]!.position < from) drop++
  if (drop) records.splice(0, drop)
  next.records.forEach((r, i) => {
    const held = records[i]
    if (!held) records.push(r)
    else if (held.position !== r.position || held.bytes !== r.bytes) records[i] = r
  })
  if (records.length > next.records.length) records.splice(next.records.length)
}
