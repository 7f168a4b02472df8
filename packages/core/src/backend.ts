/**
 * @packageDocumentation
 * `@weft/core/backend`: what a storage backend, the relay server, the network client and the wire
 * protocol need and an application does not — the `BaseChangeStore` template (a backend implements
 * only its underscore methods; the base class verifies every entry first), the store and
 * record-store contracts with their in-memory implementations, the range-fingerprint index helpers,
 * entry create/parse/verify, set reconciliation, the orchestrator's peer and authority contracts,
 * domain-separated signatures, server signers and the byte codecs.
 *
 * A few names are also in the application entry (`@weft/core`) because both sides call them: the
 * errors, the branded ids and their helpers, `ready`, `generateSigningKeyPair`, `MemoryStoreFactory`
 * and the store contract types. Everything else here is internal to Weft's own packages and to
 * third-party backends: it may change in a minor version, and the CHANGELOG says when it does.
 */
export { WeftError, ErrorCodes, isWeftError, toWeftError } from './errors.ts'
export { asChangeHash, asDocId, asTenantId, asKeyId, asDbName, sameOrigin } from './types.ts'
export { isChangeHash, isDocId, isDbName } from './ids.ts'
export {
  ready,
  randomBytes,
  Domain,
  generateSigningKeyPair,
  signDetached,
  verifyDetached,
  verifyEd25519,
  serverSignerOf,
  isServerSigner,
  blake2b256,
  constantTimeEqual,
  VerifierPool,
  DEFAULT_POOL_MIN_BATCH,
  packSignatureChecks,
  unpackSignatureChecks,
} from './crypto/index.ts'
export {
  packValue,
  unpackValue,
  toHex,
  fromHex,
  toBase64Url,
  fromBase64Url,
  bytesEqual,
  utf8,
  ByteWriter,
} from './codec/index.ts'
export {
  BaseChangeStore,
  positionCheck,
  MemoryChangeStore,
  MemoryKeyValueStore,
  readRecordPage,
  exclusively,
  Mutex,
  takeRecord,
  updateRecord,
  addToCounter,
  takeToken,
  takeTokens,
  MemoryStoreFactory,
  copyMissingEntries,
  copyEntries,
  fingerprintOf,
  FingerprintAccumulator,
  FULL_RANGE,
  inRange,
  LocalClusterHub,
  encodeClusterMessage,
  decodeClusterMessage,
  MAX_CLUSTER_MESSAGE_BYTES,
  ProgressReporter,
} from './store/index.ts'
// The typed event emitter the engine's classes use, for the network packages' own events.
export { Emitter } from './events.ts'
// The range-fingerprint index: partial sums per hash prefix, maintained on append.
export {
  emptySum,
  addHashToSum,
  combineSums,
  finishSum,
  INDEX_DEPTH,
  nodesOf,
  addToIndex,
  encodeSum,
  decodeSum,
  rangePlan,
  indexedFingerprint,
  indexedFingerprints,
} from './store/index.ts'
export {
  createEntry,
  parseEntry,
  readEntryAuthor,
  verifyEntry,
  decryptEntry,
  hashEntryBytes,
  DEFAULT_ENTRY_LIMITS,
  ENTRY_VERSION,
  verifyEntryAsync,
  markSignatureVerified,
  authenticateEntries,
  checkEntryBatch,
} from './entries/index.ts'
export { toTenantId } from './tenant/index.ts'
export { filterFingerprint } from './db/index.ts'
// Set reconciliation over entry hashes, for the network packages.
export {
  createReconcileMessage,
  processReconcileMessage,
  reconcile,
  reconcileInProcess,
  encodeReconcileMessage,
  parseReconcileMessage,
  checkReconcileMessage,
  packHashes,
  unpackHashes,
  SortedHashSet,
  prefixRange,
  isPrefix,
  RECONCILE_VERSION,
  RECONCILE_LIMITS,
  DEFAULT_RECONCILE_OPTIONS,
  BRANCHES,
} from './sync/index.ts'
export {
  RelationshipStateStore,
  backoffDelay,
  environmentOf,
  isSyncDirection,
  OPEN_PERMIT,
} from './orchestrator/index.ts'
export { GrantAuthority } from './sharing/index.ts'
// An audit trail exported by its owner, verified elsewhere (the web console).
export { verifyAuditTrail, verifyAuditTrailPart, openAuditRecord } from './audit/index.ts'
// The tenant directory's signed records, which a server folds to admit the tenant's devices.
export { createMemberRecord, verifyMemberRecord, foldDirectory } from './members/index.ts'

export type { ErrorCode } from './errors.ts'
export type { AuditTrailExport, StoredAuditRecord } from './audit/index.ts'
export type { ChangeHash, DocId, TenantId, KeyId, DbName, Origin, Cursor, EntryKind } from './types.ts'
export type { DomainName, ServerSigner, ServerDomain, SigningKeyPair } from './crypto/index.ts'
export type {
  SignatureCheck,
  SignatureVerifier,
  SignatureBatchRequest,
  SignatureBatchReply,
  VerifierThread,
  VerifierPoolOptions,
} from './crypto/index.ts'
export type {
  ChangeStore,
  AppendResult,
  RejectedEntry,
  ScanItem,
  ScanPage,
  StoreHead,
  HashRange,
  RangeFingerprint,
  AppendListener,
  CheckedRead,
  CheckedReadOptions,
  CappedEntries,
  VerifiedEntry,
  StoreOptions,
  KeyValueStore,
  RecordPageOptions,
  TokenLimit,
  TokensTaken,
  StoreFactory,
  CopyResult,
  CopyOptions,
  FingerprintSum,
  RangePlan,
  PrefixSumReader,
  ClusterBus,
  ClusterMessage,
  TenantCatalogueStore,
  CatalogueRow,
  CatalogueStatus,
} from './store/index.ts'
export type { DirectoryState, VerifiedRecord, SignedRecord, DirectoryOp, Role } from './members/index.ts'
export type { EntryEnvelope, ParsedEntry, EntryHeader, EntryLimits, CreateEntryInput } from './entries/index.ts'
export type { EntryBatchCheck, EntryOutcome, VouchClaim, VouchLookup } from './entries/index.ts'
export type {
  ReconcileMessage,
  ReconcileItem,
  ReconcileOptions,
  ReconcileRole,
  ReconcileSource,
  ReconcileStep,
  ReconcileResult,
} from './sync/index.ts'
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
  BackoffOptions,
  SavedRelationship,
  SavedDatabaseState,
} from './orchestrator/index.ts'
export { createPresenceMessage, parsePresenceMessage, openPresenceMessage } from './presence/index.ts'
export type { PresenceBody, PresenceHeader, ParsedPresence, PresenceSeal } from './presence/index.ts'
