import { ErrorCodes, WeftError } from '@weft/core'

/**
 * What a host running a tenant's orchestrator publishes about it, for the web console: a document
 * in the tenant's `_status` database, so it is encrypted under the tenant's `default` key and signed
 * by the host's device like any entry, and the server relays it without reading it. The console
 * decrypts it with the keys it holds and checks the audit trail inside it itself.
 */
export interface StatusReport {
  readonly kind: typeof REPORT_KIND
  readonly v: 1
  /** Which host published it (one document per host). */
  readonly host: string
  /** When it was written, by the host's clock (ms since the epoch). */
  readonly publishedAt: number
  /** The tenant's databases the host knows of: the console counts their documents itself. */
  readonly databases: readonly string[]
  readonly relationships: readonly ReportedRelationship[]
  readonly grants: readonly ReportedGrant[]
  readonly audit: ReportedAudit | null
}

/** An error as the orchestrator saved it. */
export interface ReportedError {
  readonly code: string
  readonly message: string
  readonly at: number
}

/** One relationship: its status, and per database how far each direction trails. */
export interface ReportedRelationship {
  readonly id: string
  readonly partnerTenant: string
  readonly grantId: string | null
  readonly direction: string
  readonly enabled: boolean
  readonly state: string
  /** The last round that succeeded, the last error, failures in a row, when it runs next. */
  readonly lastSyncAt: number | null
  readonly lastError: ReportedError | null
  readonly consecutiveFailures: number
  readonly nextRunAt: number | null
  readonly databases: readonly ReportedDatabase[]
}

/** One database of a relationship. */
export interface ReportedDatabase {
  readonly db: string
  readonly remoteDb: string
  readonly lastSyncAt: number | null
  readonly lastError: ReportedError | null
  readonly sent: number
  readonly received: number
  readonly upToDate: boolean
  /** Entries the sending store holds past the cursor, per direction (null: not known yet, or no such direction). */
  readonly behindPush: number | null
  readonly behindPull: number | null
}

/** One grant, issued or received. */
export interface ReportedGrant {
  readonly id: string
  readonly role: string
  readonly status: string
  readonly source: string
  readonly partner: string
  readonly databases: readonly string[]
  readonly permissions: readonly string[]
  readonly expiresAt: number | null
  readonly lastSyncAt: number | null
  readonly syncs: number | null
}

/**
 * The newest part of the tenant's audit trail as stored (base64url bytes): the console verifies it
 * with `verifyAuditTrailPart` from `start`, under `signingKey`.
 */
export interface ReportedAudit {
  readonly tenant: string
  readonly signingKey: string
  readonly head: string | null
  readonly start: { readonly seq: number; readonly prev: string }
  readonly records: readonly { readonly position: number; readonly bytes: string }[]
}

export const REPORT_KIND = 'weft-status-report'
/** The database reports are kept in. */
export const STATUS_DB = '_status'

const MAX_ITEMS = 10_000
const MAX_TEXT = 4_096

/**
 * Checks a report read from a document: every field of the right type, lists and strings
 * bounded. `WEFT_INVALID_ARGUMENT` when it is not a report.
 */
export function parseStatusReport(value: unknown): StatusReport {
  const r = obj(value, 'report')
  if (r.kind !== REPORT_KIND || r.v !== 1) bad('report', 'is not a version 1 status report')
  return {
    kind: REPORT_KIND,
    v: 1,
    host: text(r.host, 'host'),
    publishedAt: num(r.publishedAt, 'publishedAt'),
    databases: list(r.databases, 'databases').map((d) => text(d, 'database')),
    relationships: list(r.relationships, 'relationships').map(relationship),
    grants: list(r.grants, 'grants').map(grant),
    audit: r.audit === null || r.audit === undefined ? null : audit(r.audit),
  }
}

function relationship(value: unknown): ReportedRelationship {
  const r = obj(value, 'relationship')
  return {
    id: text(r.id, 'relationship id'),
    partnerTenant: text(r.partnerTenant, 'partnerTenant'),
    grantId: nullable(r.grantId, text, 'grantId'),
    direction: text(r.direction, 'direction'),
    enabled: r.enabled === true,
    state: text(r.state, 'state'),
    lastSyncAt: nullable(r.lastSyncAt, num, 'lastSyncAt'),
    lastError: nullable(r.lastError, error, 'lastError'),
    consecutiveFailures: num(r.consecutiveFailures, 'consecutiveFailures'),
    nextRunAt: nullable(r.nextRunAt, num, 'nextRunAt'),
    databases: list(r.databases, 'databases').map((v) => {
      const d = obj(v, 'database')
      return {
        db: text(d.db, 'db'),
        remoteDb: text(d.remoteDb, 'remoteDb'),
        lastSyncAt: nullable(d.lastSyncAt, num, 'lastSyncAt'),
        lastError: nullable(d.lastError, error, 'lastError'),
        sent: num(d.sent, 'sent'),
        received: num(d.received, 'received'),
        upToDate: d.upToDate === true,
        behindPush: nullable(d.behindPush, num, 'behindPush'),
        behindPull: nullable(d.behindPull, num, 'behindPull'),
      }
    }),
  }
}

function grant(value: unknown): ReportedGrant {
  const g = obj(value, 'grant')
  return {
    id: text(g.id, 'grant id'),
    role: text(g.role, 'role'),
    status: text(g.status, 'status'),
    source: text(g.source, 'source'),
    partner: text(g.partner, 'partner'),
    databases: list(g.databases, 'databases').map((d) => text(d, 'database')),
    permissions: list(g.permissions, 'permissions').map((p) => text(p, 'permission')),
    expiresAt: nullable(g.expiresAt, num, 'expiresAt'),
    lastSyncAt: nullable(g.lastSyncAt, num, 'lastSyncAt'),
    syncs: nullable(g.syncs, num, 'syncs'),
  }
}

function audit(value: unknown): ReportedAudit {
  const a = obj(value, 'audit')
  const start = obj(a.start, 'audit start')
  return {
    tenant: text(a.tenant, 'audit tenant'),
    signingKey: text(a.signingKey, 'signingKey'),
    head: nullable(a.head, text, 'head'),
    start: { seq: num(start.seq, 'start seq'), prev: text(start.prev, 'start prev') },
    records: list(a.records, 'records').map((v) => {
      const r = obj(v, 'record')
      return { position: num(r.position, 'position'), bytes: text(r.bytes, 'record bytes') }
    }),
  }
}

function error(value: unknown, what: string): ReportedError {
  const e = obj(value, what)
  return { code: text(e.code, 'code'), message: text(e.message, 'message'), at: num(e.at, 'at') }
}

function obj(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(what, 'is not an object')
  return value as Record<string, unknown>
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value) || value.length > MAX_ITEMS) bad(what, `is not a list of at most ${MAX_ITEMS}`)
  return [...(value as unknown[])]
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length > MAX_TEXT) bad(what, `is not text of at most ${MAX_TEXT} characters`)
  return value
}

function num(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) bad(what, 'is not a number')
  return value
}

function nullable<T>(value: unknown, parse: (v: unknown, what: string) => T, what: string): T | null {
  return value === null || value === undefined ? null : parse(value, what)
}

function bad(what: string, why: string): never {
  throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `status report: ${what} ${why}`)
}
