/**
 * @packageDocumentation
 * Weft's engine. Every tenant owns append-only, content-addressed change stores; every change is
 * an Automerge change, encrypted under a named key (key-committed XChaCha20-Poly1305) and signed by
 * its author (Ed25519). Databases materialise the entries they are allowed to read; cursors
 * (`iterateChangesSince`, `incrementalSync`) and store-to-store copies drive filtered or
 * bidirectional sync between tenants. Stores and relays only ever see ciphertext.
 */

export { TenantFactory } from './TenantFactory.ts'
export { Tenant } from './Tenant.ts'
export { Database, Document, ChangeIterator, whereField, matchesFilter } from './db/index.ts'
export { KeyBag, DEFAULT_KEY_ID } from './keys/index.ts'
export {
  BaseChangeStore, MemoryChangeStore, MemoryKeyValueStore, MemoryStoreFactory, copyMissingEntries, copyEntries,
  fingerprintOf, FingerprintAccumulator, FULL_RANGE, inRange,
} from './store/index.ts'
// The range-fingerprint index, for backends: partial sums per hash prefix, maintained on append.
export {
  emptySum, addHashToSum, combineSums, finishSum, INDEX_DEPTH, nodesOf, addToIndex, encodeSum, decodeSum, rangePlan,
  indexedFingerprint, positionCheck,
} from './store/index.ts'
export type { FingerprintSum, RangePlan, PrefixSumReader } from './store/index.ts'
export {
  syncStores, syncDatabases, incrementalSync, syncFiltered, initialSyncState, SyncStateStore,
} from './sync/index.ts'
export { filterFingerprint, withFilterId } from './db/index.ts'
export {
  createEntry, parseEntry, verifyEntry, decryptEntry, hashEntryBytes, DEFAULT_ENTRY_LIMITS, ENTRY_VERSION,
  verifyEntryAsync, markSignatureVerified,
} from './entries/index.ts'
export { scopeToTenantId, toTenantId, verifyProfile } from './tenant/index.ts'
export { WeftError, ErrorCodes, isWeftError } from './errors.ts'
export {
  MemberDirectory, DIRECTORY_DB, ROLES, isRole, canWrite, joinRequestToString, parseJoinRequest, RECOVERY_USER,
} from './members/index.ts'
export type {
  Role, MemberInfo, MemberDeviceInfo, DirectoryReport, JoinRequest, JoinResponse, ApproveOptions,
} from './members/index.ts'
export { ready, DEFAULT_KDF, TEST_KDF } from './crypto/index.ts'
export { asChangeHash, asDocId, asTenantId, asKeyId, asDbName, sameOrigin } from './types.ts'
export { isChangeHash, isDocId, isDbName } from './ids.ts'

export type { TenantFactoryOptions } from './TenantFactory.ts'
export type {
  DatabaseOptions, DocumentStatus, DocumentInfo, SyncReport, DatabaseEvents, DocData, ChangedDocument,
  IterateOptions, DocFilter, MaterialiseReport, HeldEntry,
} from './db/index.ts'
export type { KeyVersion } from './keys/index.ts'
export type {
  ChangeStore, AppendResult, RejectedEntry, ScanItem, ScanPage, StoreHead, HashRange, RangeFingerprint,
  AppendListener, CheckedRead, VerifiedEntry, StoreOptions, KeyValueStore, StoreFactory, CopyResult, CopyOptions,
} from './store/index.ts'
export type { SyncState, SyncTarget, IncrementalSyncOptions, FilteredSyncOptions } from './sync/index.ts'
export type { EntryEnvelope, ParsedEntry, EntryHeader, EntryLimits, CreateEntryInput } from './entries/index.ts'
export type { PublicProfile, TenantScope, DbLinkSpec, Partner } from './tenant/index.ts'
export type { ErrorCode } from './errors.ts'
export type { KdfParams, SigningKeyPair } from './crypto/index.ts'
export type { ChangeHash, DocId, TenantId, KeyId, DbName, Origin, Cursor, EntryKind } from './types.ts'

// Set reconciliation, and the primitives the network packages (server, client) build on.
export {
  createReconcileMessage, processReconcileMessage, reconcile, reconcileInProcess, encodeReconcileMessage,
  parseReconcileMessage, checkReconcileMessage, packHashes, unpackHashes, SortedHashSet, prefixRange, isPrefix,
  RECONCILE_VERSION, RECONCILE_LIMITS, DEFAULT_RECONCILE_OPTIONS, BRANCHES,
} from './sync/index.ts'
export type {
  ReconcileMessage, ReconcileItem, ReconcileOptions, ReconcileRole, ReconcileSource, ReconcileStep, ReconcileResult,
} from './sync/index.ts'
export { generateSigningKeyPair, signDetached, verifyDetached, randomBytes, Domain, serverSignerOf, isServerSigner } from './crypto/index.ts'
export type { DomainName, ServerSigner, ServerDomain } from './crypto/index.ts'
export { packValue, unpackValue, toHex, fromHex, toBase64Url, fromBase64Url, bytesEqual, utf8, ByteWriter } from './codec/index.ts'
export { toWeftError } from './errors.ts'

// Orchestrator, sharing (grants) and the audit trail.
export {
  MultiTenantSyncOrchestrator, RelationshipStateStore, backoffDelay, environmentOf, isSyncDirection, OPEN_PERMIT,
} from './orchestrator/index.ts'
export type {
  OrchestratorOptions, RelationshipOptions, RelationshipDatabase, RelationshipStatus, RelationshipState, DatabaseSyncStatus,
  OrchestratorStatus, OrchestratorEvents, SyncAllResult, SyncPeer, LocalSyncPeer, SyncAuthority, SyncRequest, SyncPermit,
  SyncParty, SyncDirection, Transfer, TransferOutcome, RoundOutcome, KeyDelivery, BackoffOptions, SavedRelationship,
  SavedDatabaseState, SyncErrorInfo,
} from './orchestrator/index.ts'
export {
  SharingManager, GrantAuthority, createGrant, parseGrant, parseGrantOffer, verifyGrant, hasPermission, isPermission, PERMISSIONS,
  AUDIT_ACTIONS, isAuditAction,
} from './sharing/index.ts'
export type {
  ShareOptions, AcceptOptions, Grant, GrantTerms, GrantOffer, GrantFilter, GrantConditions, GrantSource, GrantPartner, Permission,
  FilterValue, GrantInfo, GrantStatus, DocumentListing, SharedDocumentInfo, SharedVia, AuditAction, AuditEvent, AuditSink,
  CreateGrantInput,
} from './sharing/index.ts'
export { AuditLog } from './audit/index.ts'
export type { AuditRecord, AuditHead, AuditProblem, AuditVerification, AuditQuery } from './audit/index.ts'
