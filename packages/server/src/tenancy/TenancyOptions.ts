import type { TenantDataStore } from './TenantDataStore.ts'
import type { TenantFlags } from './TenantRecord.ts'
import type { WebhookOptions } from './WebhookDispatcher.ts'

/** The `tenancy` server option: how tenants are managed on this server. Every field is optional. */
export interface TenancyOptions {
  /**
   * The isolation model new tenants get unless their creation names one: a name the storage
   * interprets (`shared`, `schema`, `database`, ... for PostgreSQL). Default `shared`.
   */
  readonly isolation?: string
  /**
   * The default tenant: the tenant data from before tenancy is moved into, and the one kept even
   * when no one uses it (it cannot be deleted). Default `default`.
   */
  readonly defaultTenant?: string
  /**
   * A single-tenant server: every request is for this tenant, whatever names none, and one that
   * names another is refused (`WEFT_TENANT_MISMATCH`). It is also the default tenant.
   */
  readonly tenant?: string
  /**
   * The operator's first admin API key (`weft_<prefix>_<secret>`, from `weft-server admin-key`):
   * stored as a hash at start with the scopes `admin:tenants` and `admin:keys`.
   */
  readonly adminKey?: string
  /**
   * `true`: tenants are created through the admin API only; a registration for a tenant the
   * catalogue does not hold is refused (`WEFT_TENANT_NOT_FOUND`). Default false (open
   * registration creates tenants, which the catalogue adopts).
   */
  readonly managedOnly?: boolean
  /**
   * The isolation models a tenant may be moved to through the admin API (`POST
   * /v1/admin/tenants/:id/move`) unless its own `config.isolationChanges` says otherwise. Default
   * none: every move must be allowed first.
   */
  readonly isolationChanges?: readonly string[]
  /** Feature flags every tenant has unless its own say otherwise (`livePush`, `mailbox` default to on). */
  readonly flags?: TenantFlags
  /** Share of a storage quota past which a `quota-warning` event is sent. Default 0.8. */
  readonly quotaWarningAt?: number
  /** Bounds of each event stream (SSE). */
  readonly events?: {
    /** Bytes waiting for one subscriber before it is dropped. Default 1 MiB. */
    readonly maxBufferedBytes?: number
    /** Keep-alive comment interval, ms. Default 15 s. */
    readonly heartbeatMs?: number
    /** Streams open at once per tenant. Default 16. */
    readonly maxStreamsPerTenant?: number
  }
  /** Webhook delivery: queue bound, retries and backoff. */
  readonly webhooks?: WebhookOptions
  /** Most tenants whose request counts are kept for statistics. Default 100,000. */
  readonly maxCountedTenants?: number
  /** How the storage lists and erases a tenant's change stores; default: the store factory's own. */
  readonly data?: TenantDataStore
}
