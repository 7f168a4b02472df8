/**
 * @packageDocumentation
 * The Weft relay server. It stores and relays encrypted, signed entries for many tenants and
 * databases and never holds a key: HTTP with MessagePack bodies for requests, WebSocket for live
 * push. Tenant admins register member keys with signed registrations; members sign in by signing
 * a challenge and get short-lived session tokens. Storage is any `StoreFactory` (embedded LevelDB
 * by default from the `serve` command). Each tenant has storage quotas (bytes, entries,
 * databases) and a request rate across its sessions, kept in the server's own records. The
 * protocol is in docs/sync-protocol.md.
 *
 * Requests are logged as JSON lines through pino (`createServerLogger`) and counted as Prometheus
 * metrics through prom-client (`ServerMetrics`, served at `/metrics`).
 *
 * Tenants are a managed resource: a catalogue with a lifecycle (active, suspended, deleting), an
 * admin API under `/v1/admin/` authenticated by API keys stored only as hashes, per-tenant
 * configuration and feature flags, statistics, and a tenant-scoped event bus (Server-Sent Events and
 * signed webhooks); docs/multi-tenancy.md. `createWeftHandler` mounts the relay inside an existing
 * HTTP app.
 *
 * The entry exports what an operator calls: the server, its options, the default quotas, the
 * middleware, the webhook signature helpers, and `moveStorage` (a server's stores from one backend
 * to another, as `weft-server migrate` does). The request router, authenticator, member registry and
 * rate limiter are internal.
 */
export { WeftServer } from './WeftServer.ts'
export { DEFAULT_QUOTAS } from './tenantQuota.ts'
export { moveStorage } from './moveStorage.ts'
export { createWeftHandler } from './tenancy/createWeftHandler.ts'
export { signWebhook, verifyWebhook } from './tenancy/WebhookDispatcher.ts'
export { createServerLogger, LOG_LEVELS } from './observability/serverLogger.ts'
export { ServerMetrics } from './observability/ServerMetrics.ts'
export { DEFAULT_DIRECTORY_LIMITS } from './TenantDirectory.ts'
export type { LogLevel } from './observability/serverLogger.ts'
export type { ClusterOptions } from './cluster/openCluster.ts'
export type { DirectoryLimits } from './TenantDirectory.ts'

export type { WeftServerOptions, TenantQuota, QuotaOptions, RegistrationOptions } from './ServerOptions.ts'
export type { PresenceRelayOptions } from './presence/PresenceRelayOptions.ts'
export type { Rate } from './RateLimiter.ts'
export type { WeftHandler, WeftHandlerOptions } from './tenancy/createWeftHandler.ts'
export type { TenancyOptions } from './tenancy/TenancyOptions.ts'
export type { Tenancy } from './tenancy/Tenancy.ts'
export type { TenantDataStore, ErasableStoreFactory } from './tenancy/TenantDataStore.ts'
export type {
  TenantRecord,
  TenantStatus,
  TenantConfig,
  TenantFlags,
  WebhookConfig,
  EffectiveSettings,
} from './tenancy/TenantRecord.ts'
export type { TenantEvent, TenantEventType } from './tenancy/TenantEventBus.ts'
export type { WebhookOptions } from './tenancy/WebhookDispatcher.ts'
export type { ApiKeyInfo } from './tenancy/ApiKeys.ts'
export type { Scope } from './tenancy/scopes.ts'
export type { MoveOptions, MoveReport, StorageSource, StorageTarget } from './moveStorage.ts'
