/** Sync between stores and databases: full copies, both ways, incremental and filtered by cursor. */
export { syncStores } from './syncStores.ts'
export { syncDatabases } from './syncDatabases.ts'
export { incrementalSync, syncFiltered } from './incrementalSync.ts'
export type { IncrementalSyncOptions, FilteredSyncOptions } from './incrementalSync.ts'
export { initialSyncState } from './SyncState.ts'
export type { SyncState } from './SyncState.ts'
export type { SyncTarget } from './target.ts'
export { storeOf, targetRegressed } from './target.ts'
export { SyncStateStore } from './SyncStateStore.ts'
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
  childPrefixes,
  isPrefix,
  RECONCILE_VERSION,
  RECONCILE_LIMITS,
  DEFAULT_RECONCILE_OPTIONS,
  BRANCHES,
} from './reconcile/index.ts'
export type {
  ReconcileMessage,
  ReconcileItem,
  ReconcileOptions,
  ReconcileRole,
  ReconcileSource,
  ReconcileStep,
  ReconcileResult,
} from './reconcile/index.ts'
