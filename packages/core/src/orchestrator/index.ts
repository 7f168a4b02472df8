/**
 * The MultiTenantSyncOrchestrator: partner relationships kept in sync on schedules, with backoff,
 * a concurrency limit, saved cursors and status; and the peer and authority contracts that grants
 * (sharing) plug into.
 */
export { MultiTenantSyncOrchestrator } from './MultiTenantSyncOrchestrator.ts'
export type { OrchestratorOptions } from './orchestratorOptions.ts'
export { RelationshipStateStore } from './RelationshipStateStore.ts'
export type { SavedRelationship, SavedDatabaseState, SyncErrorInfo } from './RelationshipStateStore.ts'
export { OPEN_PERMIT, isSyncDirection } from './SyncPeer.ts'
export type {
  SyncPeer,
  LocalSyncPeer,
  SyncAuthority,
  SyncRequest,
  SyncPermit,
  SyncParty,
  SyncDirection,
  Transfer,
  TransferOutcome,
  RoundOutcome,
  KeyDelivery,
} from './SyncPeer.ts'
export { backoffDelay } from './backoff.ts'
export type { BackoffOptions } from './backoff.ts'
export { environmentOf } from './environmentOf.ts'
export type {
  RelationshipOptions,
  RelationshipDatabase,
  RelationshipStatus,
  TransferLag,
  RelationshipState,
  DatabaseSyncStatus,
  OrchestratorStatus,
  OrchestratorEvents,
  SyncAllResult,
} from './status.ts'
