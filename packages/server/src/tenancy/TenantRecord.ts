import { ErrorCodes, WeftError } from '@weft/core/backend'
import type { TenantQuota } from '../ServerOptions.ts'

/**
 * Where a tenant is in its life: `active` serves its members; `suspended` refuses every operation
 * of its members (`WEFT_TENANT_SUSPENDED`) and keeps its data; `deleting` is being erased.
 */
export type TenantStatus = 'active' | 'suspended' | 'deleting'

/** A lifecycle step an operator takes. */
export type TenantTransition = 'suspend' | 'resume' | 'delete'

/** The status each step leads to, from each status it may start from. */
const TRANSITIONS: Record<TenantTransition, Partial<Record<TenantStatus, TenantStatus>>> = {
  suspend: { active: 'suspended', suspended: 'suspended' },
  resume: { suspended: 'active', active: 'active' },
  delete: { active: 'deleting', suspended: 'deleting', deleting: 'deleting' },
}

/** The status after `step` from `from`; `WEFT_TENANT_STATE` when the step does not start there. */
export function nextStatus(from: TenantStatus, step: TenantTransition): TenantStatus {
  const to = TRANSITIONS[step][from]
  if (!to) throw new WeftError(ErrorCodes.TENANT_STATE, `a ${from} tenant cannot ${step}`)
  return to
}

/** A webhook the tenant's events are posted to, signed with `secret` (HMAC-SHA256). */
export interface WebhookConfig {
  readonly url: string
  readonly secret: string
}

/**
 * A tenant's configuration: each setting left out takes the server's default. `maxEntryBytes`
 * lowers the server's entry size limit for this tenant's pushes.
 */
export interface TenantConfig {
  readonly maxEntryBytes?: number
  readonly webhooks?: readonly WebhookConfig[]
  /**
   * The isolation models the tenant may be moved to through the admin API (`POST
   * /v1/admin/tenants/:id/move`); left out, the server's `tenancy.isolationChanges`.
   */
  readonly isolationChanges?: readonly string[]
}

/**
 * Feature flags, by name. The server reads `livePush` (WebSocket push; off: sockets are refused
 * and open ones closed, `WEFT_FEATURE_DISABLED`) and `mailbox` (the mailbox operations); other
 * names are kept for the tenant's own applications to read.
 */
export type TenantFlags = Readonly<Record<string, boolean>>

/** Quota overrides of one tenant, over the server's (`Infinity`: no limit). */
export type TenantQuotaOverrides = Partial<TenantQuota>

/** One tenant in the server's catalogue. Times are ms since the epoch. */
export interface TenantRecord {
  readonly id: string
  readonly name: string
  /** Which isolation model the storage keeps the tenant's data under (the storage reads it). */
  readonly isolation: string
  readonly status: TenantStatus
  readonly createdAt: number
  readonly updatedAt: number
  readonly quotas: TenantQuotaOverrides
  readonly config: TenantConfig
  readonly flags: TenantFlags
  /** Set when the tenant was not created through the admin API but found in use (see "Tenant lifecycle"). */
  readonly adopted?: boolean
  /** Set while the tenant is held for a move to this isolation model (its members' requests are refused meanwhile). */
  readonly moving?: string
}

/** Flags every tenant has unless its record or the server's defaults say otherwise. */
export const DEFAULT_FLAGS: TenantFlags = { livePush: true, mailbox: true }

/** A tenant's settings as its members and the server's features see them: the server's defaults under its own. */
export interface EffectiveSettings {
  readonly flags: TenantFlags
  readonly config: { readonly maxEntryBytes: number }
}

/** The settings in force for `record` (or a tenant without one) under the server's defaults. */
export function effectiveSettings(
  record: TenantRecord | undefined,
  defaults: { flags: TenantFlags; maxEntryBytes: number },
): EffectiveSettings {
  const flags = { ...DEFAULT_FLAGS, ...defaults.flags, ...record?.flags }
  const own = record?.config.maxEntryBytes
  return {
    flags,
    config: { maxEntryBytes: own === undefined ? defaults.maxEntryBytes : Math.min(own, defaults.maxEntryBytes) },
  }
}

/** A record as the admin API shows it: webhook secrets are never shown again. */
export function publicRecord(r: TenantRecord): unknown {
  const quotas = Object.fromEntries(Object.entries(r.quotas).map(([k, v]) => [k, Number.isFinite(v) ? v : null]))
  const webhooks = r.config.webhooks?.map((w) => ({ url: w.url, secret: '…' }))
  return { ...r, quotas, config: { ...r.config, ...(webhooks ? { webhooks } : {}) } }
}
