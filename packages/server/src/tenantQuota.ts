import { ErrorCodes, WeftError } from '@weft/core'
import { MAIL_LIMITS, type ProtocolLimits, type TenantLimits } from '@weft/protocol'
import type { QuotaOptions, TenantQuota } from './ServerOptions.ts'

/**
 * Default per-tenant limits: generous for one organisation, finite so that no tenant can fill the
 * server's disk on its own. The tenant request rate defaults to five clients' worth of the
 * per-client rate (1,000 a second, bursts of 2,000 with the default `limits`).
 */
export const DEFAULT_QUOTAS: TenantQuota = {
  maxBytesPerTenant: 10 * 1024 ** 3,
  maxEntriesPerTenant: 10_000_000,
  maxDatabasesPerTenant: 1_000,
  tenantRequestsPerSecond: 1_000,
  tenantBurst: 2_000,
  maxHeldBytesPerTenant: 32 * 1024 * 1024,
  maxMembersPerTenant: 10_000,
  maxMailMessagesPerTenant: MAIL_LIMITS.maxMessages,
  maxMailBytesPerTenant: 16 * 1024 * 1024,
}

/** How many clients' worth of the per-client rate a tenant gets by default. */
const TENANT_RATE_CLIENTS = 5

/** The names of a tenant's quotas, as options, overrides and the admin API take them. */
export const QUOTA_FIELDS = [
  'maxBytesPerTenant',
  'maxEntriesPerTenant',
  'maxDatabasesPerTenant',
  'tenantRequestsPerSecond',
  'tenantBurst',
  'maxHeldBytesPerTenant',
  'maxMembersPerTenant',
  'maxMailMessagesPerTenant',
  'maxMailBytesPerTenant',
] as const

/**
 * The limits of each tenant: the `quotas` option over the defaults, then `forTenant(tenant)` over
 * that. Throws `WEFT_INVALID_ARGUMENT` for a limit that is not a number ≥ 0 (rates > 0).
 */
export function tenantQuotaResolver(
  options: QuotaOptions | undefined,
  limits: ProtocolLimits,
): (tenant: string) => TenantQuota {
  const base = checked({
    ...DEFAULT_QUOTAS,
    tenantRequestsPerSecond: TENANT_RATE_CLIENTS * limits.requestsPerSecond,
    tenantBurst: TENANT_RATE_CLIENTS * limits.burst,
    ...defined(options ?? {}),
  })
  const forTenant = options?.forTenant
  if (!forTenant) return () => base
  return (tenant) => {
    const own = forTenant(tenant)
    return own ? checked({ ...base, ...defined(own) }) : base
  }
}

/** A tenant's limits as the `usage` operation reports them (`null`: no limit). */
export function limitsOnWire(q: TenantQuota): TenantLimits {
  const n = (x: number) => (Number.isFinite(x) ? x : null)
  return {
    maxBytes: n(q.maxBytesPerTenant),
    maxEntries: n(q.maxEntriesPerTenant),
    maxDatabases: n(q.maxDatabasesPerTenant),
    maxMembers: n(q.maxMembersPerTenant),
    maxMailMessages: n(q.maxMailMessagesPerTenant),
    maxMailBytes: n(q.maxMailBytesPerTenant),
    requestsPerSecond: n(q.tenantRequestsPerSecond),
    burst: n(q.tenantBurst),
  }
}

/** The fields of a partial quota that are set (so `{ maxBytesPerTenant: undefined }` keeps the default). */
function defined(q: Partial<TenantQuota>): Partial<TenantQuota> {
  const out: Partial<Record<(typeof QUOTA_FIELDS)[number], number>> = {}
  for (const f of QUOTA_FIELDS) if (q[f] !== undefined) out[f] = q[f]
  return out
}

function checked(q: TenantQuota): TenantQuota {
  for (const f of QUOTA_FIELDS) {
    const v = q[f]
    const rate = f === 'tenantRequestsPerSecond' || f === 'tenantBurst'
    if (typeof v !== 'number' || Number.isNaN(v) || v < 0 || (rate && v === 0)) {
      throw new WeftError(
        ErrorCodes.INVALID_ARGUMENT,
        `quota ${f} must be a number ${rate ? 'above' : 'of at least'} 0 (Infinity for no limit), not ${String(v)}`,
      )
    }
  }
  return q
}
