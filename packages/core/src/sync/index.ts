/** Sync between stores and databases: full copies, both ways, incremental and filtered by cursor. */
export { syncStores } from './syncStores.ts'
export { syncDatabases } from './syncDatabases.ts'
export { incrementalSync, syncFiltered } from './incrementalSync.ts'
export type { IncrementalSyncOptions } from './incrementalSync.ts'
export { initialSyncState } from './SyncState.ts'
export type { SyncState } from './SyncState.ts'
export type { SyncTarget } from './target.ts'
export { SyncStateStore } from './SyncStateStore.ts'
