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
 * The entry exports what an operator calls: the server, its options, the default quotas and
 * `moveStorage` (a server's stores from one backend to another, as `weft-server migrate` does). The
 * request router, authenticator, member registry and rate limiter are internal.
 */
export { WeftServer } from './WeftServer.ts'
export { DEFAULT_QUOTAS } from './tenantQuota.ts'
export { moveStorage } from './moveStorage.ts'

export type { WeftServerOptions, TenantQuota, QuotaOptions, RegistrationOptions } from './ServerOptions.ts'
export type { MoveReport, StorageSource, StorageTarget } from './moveStorage.ts'
