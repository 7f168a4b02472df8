/**
 * @packageDocumentation
 * Weft over the network, in Node and browsers (fetch + WebSocket). A {@link RemoteChangeStore} is
 * one database on a Weft server as a `ChangeStore`, so `pullChangesFrom`, `pushChangesTo`,
 * `syncDatabases` and `incrementalSync` work against a server as against a local store;
 * {@link RemoteStoreFactory} opens every database of a `TenantFactory` on a server. {@link LiveSync}
 * keeps a local database and the server in sync (cursor fast path, set-reconciliation repair, live
 * push, reconnects with core's jittered backoff) and exposes a status for a UI. {@link registerMembers} is the admin's
 * registration of member keys; a tenant's `serverSigner()` also hands a server its directory, which
 * admits its devices ({@link transferTenant} and {@link resetTenant} move or erase a tenant id on a server). {@link GrantRelay} carries grants between tenants in different
 * processes through a server, for `MultiTenantSyncOrchestrator`. {@link StatusPublisher} publishes a host's
 * relationships, grants and audit trail, encrypted, for the web console. Registrations and sign-in challenges
 * are in `@weft/protocol`; the relay's spaces and peers are internal.
 */
export { RemoteChangeStore } from './RemoteChangeStore.ts'
export { RemoteStoreFactory } from './RemoteStoreFactory.ts'
export { ServerConnection } from './ServerConnection.ts'
export { LiveSync } from './LiveSync.ts'
export { registerMembers } from './registerMembers.ts'
export { transferTenant, resetTenant } from './tenantControl.ts'
export { GrantRelay } from './relay/index.ts'
export { StatusPublisher, parseStatusReport, STATUS_DB } from './status/index.ts'
export { PROTOCOL_VERSION, DEFAULT_LIMITS } from '@weft/protocol'

export type { RemoteChangeStoreOptions, RemoteLiveOptions } from './RemoteChangeStore.ts'
export type { LiveFeedState } from './RemoteFeed.ts'
export type { RemoteStoreFactoryOptions } from './RemoteStoreFactory.ts'
export type { ServerConnectionOptions } from './ServerConnection.ts'
export type { LiveSyncOptions, WebSocketLike, WebSocketConstructor } from './LiveSync.ts'
export type { LiveSyncEvents, LiveSyncCompleted } from './LiveProgress.ts'
export type { SyncStatus, Refusals } from './SyncStatus.ts'
export type { RegisterMembersOptions } from './registerMembers.ts'
export type { TenantControlOptions } from './tenantControl.ts'
export type { GrantRelayOptions } from './relay/index.ts'
export type {
  StatusPublisherOptions,
  StatusReport,
  ReportedRelationship,
  ReportedDatabase,
  ReportedGrant,
  ReportedAudit,
  ReportedError,
} from './status/index.ts'
export type { ProtocolLimits, TenantUsage, TenantLimits } from '@weft/protocol'
