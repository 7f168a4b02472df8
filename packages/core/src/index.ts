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
export {
  syncStores, syncDatabases, incrementalSync, syncFiltered, initialSyncState, SyncStateStore,
} from './sync/index.ts'
export {
  createEntry, parseEntry, verifyEntry, decryptEntry, hashEntryBytes, DEFAULT_ENTRY_LIMITS, ENTRY_VERSION,
} from './entries/index.ts'
export { scopeToTenantId, toTenantId, verifyProfile } from './tenant/index.ts'
export { WeftError, ErrorCodes, isWeftError } from './errors.ts'
export { ready, DEFAULT_KDF, TEST_KDF } from './crypto/index.ts'
export { asChangeHash, asDocId, asTenantId, asKeyId, asDbName, sameOrigin } from './types.ts'

export type { TenantFactoryOptions } from './TenantFactory.ts'
export type {
  DatabaseOptions, DocumentStatus, DocumentInfo, SyncReport, DatabaseEvents, DocData, ChangedDocument,
  IterateOptions, DocFilter, MaterialiseReport, HeldEntry,
} from './db/index.ts'
export type { KeyVersion } from './keys/index.ts'
export type {
  ChangeStore, AppendResult, RejectedEntry, ScanItem, ScanPage, StoreHead, HashRange, RangeFingerprint,
  AppendListener, VerifiedEntry, StoreOptions, KeyValueStore, StoreFactory, CopyResult, CopyOptions,
} from './store/index.ts'
export type { SyncState, SyncTarget, IncrementalSyncOptions } from './sync/index.ts'
export type { EntryEnvelope, ParsedEntry, EntryHeader, EntryLimits, CreateEntryInput } from './entries/index.ts'
export type { PublicProfile, TenantScope, DbLinkSpec, Partner } from './tenant/index.ts'
export type { ErrorCode } from './errors.ts'
export type { KdfParams, SigningKeyPair } from './crypto/index.ts'
export type { ChangeHash, DocId, TenantId, KeyId, DbName, Origin, Cursor, EntryKind } from './types.ts'
