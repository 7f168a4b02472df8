import type { Grant, GrantTerms } from './Grant.ts'
import type { IssuedGrantRecord, ReceivedGrantRecord } from './GrantRecords.ts'

/** Where a grant stands, as this tenant sees it now. */
export type GrantStatus = 'pending' | 'active' | 'revoked' | 'expired'

/** A grant as `tenant.sharing` lists it, issued or received. */
export interface GrantInfo extends GrantTerms {
  readonly id: string
  /** `issued`: this tenant is the source; `received`: this tenant accepted it. */
  readonly role: 'issued' | 'received'
  readonly status: GrantStatus
  readonly source: string
  readonly partner: string
  /** Syncs that moved data under it (known to the issuer only). */
  readonly syncs: number | null
  readonly approvedAt: number | null
  /** Revoked or found expired at (issuer), null if not ended or not known. */
  readonly endedAt: number | null
  readonly acceptedAt: number | null
  readonly lastSyncAt: number | null
  /** The signed grant itself. */
  readonly grant: Grant
}

function expiredBy(grant: Grant, now: number): boolean {
  return grant.expiresAt !== null && now >= grant.expiresAt
}

function common(
  grant: Grant,
): Omit<GrantInfo, 'role' | 'status' | 'syncs' | 'approvedAt' | 'endedAt' | 'acceptedAt' | 'lastSyncAt'> {
  return {
    id: grant.id,
    source: grant.source.tenantId,
    partner: grant.partner.tenantId,
    databases: grant.databases,
    keyIds: grant.keyIds,
    filter: grant.filter,
    permissions: grant.permissions,
    conditions: grant.conditions,
    issuedAt: grant.issuedAt,
    expiresAt: grant.expiresAt,
    grant,
  }
}

/** The issuer's view: past `expiresAt` counts as expired even before a sync noticed it. */
export function issuedInfo(r: IssuedGrantRecord, now: number): GrantInfo {
  const live = r.status === 'active' || r.status === 'pending'
  return {
    ...common(r.grant),
    role: 'issued',
    status: live && expiredBy(r.grant, now) ? 'expired' : r.status,
    syncs: r.syncs,
    approvedAt: r.approvedAt,
    endedAt: r.endedAt,
    acceptedAt: null,
    lastSyncAt: r.lastSyncAt,
  }
}

/** The partner's view: what the issuer last reported, and its own clock for expiry. */
export function receivedInfo(r: ReceivedGrantRecord, now: number): GrantInfo {
  const live = r.status === 'active' || r.status === 'pending'
  return {
    ...common(r.grant),
    role: 'received',
    status: live && expiredBy(r.grant, now) ? 'expired' : r.status,
    syncs: null,
    approvedAt: null,
    endedAt: null,
    acceptedAt: r.acceptedAt,
    lastSyncAt: r.lastSyncAt,
  }
}
