/**
 * @packageDocumentation
 * Weft's engine. Every tenant owns append-only, content-addressed change stores; every change is
 * an Automerge change, encrypted under a named key (key-committed XChaCha20-Poly1305) and signed by
 * its author (Ed25519). Databases materialise the entries they are allowed to read; cursors
 * (`iterateChangesSince`, `incrementalSync`) and store-to-store copies drive filtered or
 * bidirectional sync between tenants. Stores and relays only ever see ciphertext.
 *
 * This is the application API. What storage backends, the server and the client need (the
 * `BaseChangeStore` template, codecs, entry parsing, reconciliation) is in `@weft/core/backend`;
 * the conformance suites are in `@weft/core/testing`.
 */

export { TenantFactory } from './TenantFactory.ts'
export { Tenant } from './Tenant.ts'
export { Database, Document, ChangeIterator, whereField, matchesFilter, withFilterId } from './db/index.ts'
export { chunkLengths, FastCdc, DEFAULT_CHUNK_SIZES, MAX_CHUNK_BYTES, ATTACHMENT_FIELD_PREFIX } from './db/index.ts'
export { KeyBag, DEFAULT_KEY_ID } from './keys/index.ts'
export { Presence, linkPresence, PRESENCE_LIMITS, DEFAULT_PRESENCE_TIMEOUT_MS } from './presence/index.ts'
export type {
  PresencePeer,
  PresenceReceipt,
  PresenceLink,
  PresenceOptions,
  PresenceEndpoint,
} from './presence/index.ts'
export { MemoryStoreFactory } from './store/index.ts'
export {
  syncStores,
  syncDatabases,
  incrementalSync,
  syncFiltered,
  initialSyncState,
  SyncStateStore,
} from './sync/index.ts'
export { scopeToTenantId, verifyProfile } from './tenant/index.ts'
export { WeftError, ErrorCodes, isWeftError } from './errors.ts'
export {
  MemberDirectory,
  DIRECTORY_DB,
  ROLES,
  isRole,
  canWrite,
  joinRequestToString,
  parseJoinRequest,
  RECOVERY_USER,
} from './members/index.ts'
export type {
  Role,
  MemberInfo,
  MemberDeviceInfo,
  DirectoryReport,
  JoinRequest,
  JoinResponse,
  ApproveOptions,
} from './members/index.ts'
export { ready, DEFAULT_KDF, TEST_KDF } from './crypto/index.ts'
export { asChangeHash, asDocId, asTenantId, asKeyId, asDbName, sameOrigin } from './types.ts'
export { isChangeHash, isDocId, isDbName } from './ids.ts'

export type { TenantFactoryOptions } from './TenantFactory.ts'
export type {
  DatabaseOptions,
  CacheStats,
  CacheSize,
  DocumentStatus,
  DocumentInfo,
  SyncReport,
  SyncCallOptions,
  DatabaseEvents,
  DocData,
  ChangedDocument,
  IterateOptions,
  DocFilter,
  MaterialiseReport,
  HeldEntry,
  IndexOpened,
  IndexReport,
  IndexSpec,
  Query,
  QueryHit,
  QueryResult,
  Condition,
  Where,
  Scalar,
  SearchHit,
  SearchOptions,
  HistoryEntry,
  PointInHistory,
  AttachmentData,
  AttachmentInfo,
  AttachmentOptions,
  AttachmentSync,
  AttachmentUpload,
  ByteRange,
  ChunkSizes,
} from './db/index.ts'
export type { KeyVersion } from './keys/index.ts'
// The store contract an application passes around (`db.getStore()`, `syncStores`); implementing one is
// in `@weft/core/backend`.
export type {
  ChangeStore,
  StoreOptions,
  StoreFactory,
  CopyResult,
  SyncProgress,
  ProgressOptions,
} from './store/index.ts'
export type { SyncState, SyncTarget, IncrementalSyncOptions, FilteredSyncOptions } from './sync/index.ts'
export type { PublicProfile, TenantScope, DbLinkSpec, Partner } from './tenant/index.ts'
export type { ErrorCode } from './errors.ts'
export type { KdfParams, SigningKeyPair } from './crypto/index.ts'
export type {
  SignatureCheck,
  SignatureCheckScope,
  SignatureVerifier,
  WebVerifierPoolOptions,
  VerifierPoolOptions,
} from './crypto/index.ts'
export type { ChangeHash, DocId, TenantId, KeyId, DbName, Origin, Cursor } from './types.ts'

// A device's signing key, for registering members with a server (`@weft/client`'s `registerMembers`).
export { generateSigningKeyPair } from './crypto/index.ts'

// Signature checks of large batches on other threads: a Web Worker pool (Node's is in `@weft/store-level`).
export { createWebVerifierPool, serveSignatureChecks, VerifierPool } from './crypto/index.ts'

// Orchestrator, sharing (grants) and the audit trail.
export { MultiTenantSyncOrchestrator } from './orchestrator/index.ts'
export type {
  OrchestratorOptions,
  RelationshipOptions,
  RelationshipDatabase,
  RelationshipStatus,
  TransferLag,
  RelationshipState,
  DatabaseSyncStatus,
  OrchestratorStatus,
  OrchestratorEvents,
  SyncAllResult,
  SyncPeer,
  SyncDirection,
  BackoffOptions,
  SyncErrorInfo,
} from './orchestrator/index.ts'
export {
  SharingManager,
  createGrant,
  parseGrant,
  parseGrantOffer,
  verifyGrant,
  hasPermission,
  isPermission,
  PERMISSIONS,
  AUDIT_ACTIONS,
  isAuditAction,
} from './sharing/index.ts'
export type {
  ShareOptions,
  AcceptOptions,
  Grant,
  GrantTerms,
  GrantOffer,
  GrantFilter,
  GrantConditions,
  GrantSource,
  GrantPartner,
  Permission,
  FilterValue,
  GrantInfo,
  GrantStatus,
  DocumentListing,
  SharedDocumentInfo,
  SharedVia,
  AuditAction,
  AuditEvent,
  AuditSink,
  CreateGrantInput,
} from './sharing/index.ts'
export { AuditLog } from './audit/index.ts'
export type { AuditRecord, AuditHead, AuditProblem, AuditVerification, AuditQuery } from './audit/index.ts'
