import { ErrorCodes, WeftError, type ErrorCode } from '../errors.ts'
import type { SyncRequest } from '../orchestrator/index.ts'
import { hasPermission, type Grant } from './Grant.ts'

/** Where an issued grant stands at its issuer. */
export type IssuedGrantStatus = 'pending' | 'active' | 'revoked' | 'expired'

/** What the issuer checks a round against. */
export interface GrantUse {
  readonly grant: Grant
  readonly status: IssuedGrantStatus
  /** Syncs that moved data under the grant so far. */
  readonly syncs: number
}

/**
 * Why the issuer refuses a round under a grant, or `undefined` when it may run. In order: revoked,
 * expired (by the issuer's clock `now`), not approved, not between the grant's two tenants, outside
 * `allowedEnvironments` (the partner's environment), past `maxSyncs`, then each transfer: from the
 * source only out of a granted database, back into the source only with `write`.
 */
export function grantDenial(use: GrantUse, request: SyncRequest, now: number): WeftError | undefined {
  const g = use.grant
  if (use.status === 'revoked') return deny(g, ErrorCodes.GRANT_REVOKED, 'revoked by its issuer')
  if (use.status === 'expired' || (g.expiresAt !== null && now >= g.expiresAt))
    return deny(g, ErrorCodes.GRANT_EXPIRED, 'expired')
  if (use.status === 'pending') return deny(g, ErrorCodes.GRANT_NOT_APPROVED, 'waiting for approval by its issuer')
  const parties = [request.local, request.partner]
  const partner = parties.find((p) => p.tenant === g.partner.tenantId)
  const source = parties.find((p) => p.tenant === g.source.tenantId)
  if (!partner || !source)
    return deny(g, ErrorCodes.PERMISSION_DENIED, "the relationship is not between the grant's source and partner")
  const envs = g.conditions.allowedEnvironments
  if (envs !== null && (partner.environment === undefined || !envs.includes(partner.environment))) {
    return deny(
      g,
      ErrorCodes.GRANT_ENVIRONMENT_DENIED,
      `environment ${JSON.stringify(partner.environment ?? null)} is not one of ${envs.join(', ')}`,
    )
  }
  if (g.conditions.maxSyncs !== null && use.syncs >= g.conditions.maxSyncs) {
    return deny(g, ErrorCodes.GRANT_EXHAUSTED, `all ${g.conditions.maxSyncs} syncs used`)
  }
  for (const t of request.transfers) {
    if (t.from.tenant === source.tenant && t.to.tenant === partner.tenant) {
      if (!g.databases.includes(t.from.db))
        return deny(g, ErrorCodes.PERMISSION_DENIED, `database ${t.from.db} is not granted`)
    } else if (t.from.tenant === partner.tenant && t.to.tenant === source.tenant) {
      if (!g.databases.includes(t.to.db))
        return deny(g, ErrorCodes.PERMISSION_DENIED, `database ${t.to.db} is not granted`)
      if (!hasPermission(g, 'write'))
        return deny(g, ErrorCodes.PERMISSION_DENIED, "no write permission: the partner's changes are not accepted back")
    } else return deny(g, ErrorCodes.PERMISSION_DENIED, "a transfer is not between the grant's source and partner")
  }
  return undefined
}

function deny(grant: Grant, code: ErrorCode, message: string): WeftError {
  return new WeftError(code, `grant ${grant.id}: ${message}`)
}

/** True for the codes a grant check denies with (as opposed to a failure of the sync itself). */
export function isGrantDenial(err: unknown): err is WeftError {
  return err instanceof WeftError && GRANT_CODES.has(err.code)
}

const GRANT_CODES = new Set<string>([
  ErrorCodes.GRANT_REVOKED,
  ErrorCodes.GRANT_EXPIRED,
  ErrorCodes.GRANT_NOT_APPROVED,
  ErrorCodes.GRANT_ENVIRONMENT_DENIED,
  ErrorCodes.GRANT_EXHAUSTED,
  ErrorCodes.GRANT_NOT_FOUND,
  ErrorCodes.PERMISSION_DENIED,
  ErrorCodes.BAD_GRANT,
])
