/** The change store contract, its verifying base class, and the in-memory backend. */
export { BaseChangeStore, positionCheck } from './BaseChangeStore.ts'
export type { VerifiedEntry, StoreOptions } from './BaseChangeStore.ts'
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
} from './ChangeStore.ts'
export { MemoryChangeStore } from './MemoryChangeStore.ts'
export { MemoryKeyValueStore, readRecordPage } from './KeyValueStore.ts'
export { exclusively, takeRecord, updateRecord, addToCounter, takeToken, takeTokens } from './sharedRecords.ts'
export type { KeyValueStore, RecordPageOptions, TokenLimit, TokensTaken } from './KeyValueStore.ts'
export { MemoryStoreFactory } from './StoreFactory.ts'
export type { StoreFactory } from './StoreFactory.ts'
export { FingerprintAccumulator, fingerprintOf, fingerprintsFewAtOnce, inRange, FULL_RANGE } from './fingerprint.ts'
export { emptySum, addHashToSum, combineSums, finishSum } from './fingerprint.ts'
export type { FingerprintSum } from './fingerprint.ts'
export {
  INDEX_DEPTH,
  nodesOf,
  addToIndex,
  encodeSum,
  decodeSum,
  rangePlan,
  indexedFingerprint,
  indexedFingerprints,
} from './prefixSums.ts'
export type { RangePlan, PrefixSumReader } from './prefixSums.ts'
export { Mutex } from './Mutex.ts'
export { copyMissingEntries, copyEntries } from './copyEntries.ts'
export type { CopyResult, CopyOptions } from './copyEntries.ts'
export { ProgressReporter } from './SyncProgress.ts'
export type { SyncProgress, ProgressOptions } from './SyncProgress.ts'
export { LocalClusterHub, encodeClusterMessage, decodeClusterMessage, MAX_CLUSTER_MESSAGE_BYTES } from './ClusterBus.ts'
export type { ClusterBus, ClusterMessage } from './ClusterBus.ts'
export type { TenantCatalogueStore, CatalogueRow, CatalogueStatus } from './TenantCatalogueStore.ts'
