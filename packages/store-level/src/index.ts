/**
 * @packageDocumentation
 * LevelDB storage for Weft in Node, via `level`. {@link LevelStoreFactory} keeps a tenant
 * factory's change stores and records in one LevelDB folder, each in its own sublevel.
 * {@link LevelChangeStore} passes the core conformance suite: every append is verified by the
 * core and written in one atomic batch (entries, arrival numbers, per-document index, meta),
 * so a crash keeps all of it or none, arrival numbers stay gap-free, and the epoch survives
 * reopening. Failures of the database surface as `WEFT_STORAGE_ERROR` (or
 * `WEFT_QUOTA_EXCEEDED` when the disk is full).
 */

export { LevelStoreFactory } from './LevelStoreFactory.ts'
export { LevelChangeStore } from './LevelChangeStore.ts'
export { LevelKeyValueStore } from './LevelKeyValueStore.ts'
export { checkStoreIntegrity } from './checkStoreIntegrity.ts'
export { StoreLayout } from './StoreLayout.ts'
export { listStores } from './listStores.ts'
// Signature checks of large batches on worker threads, for any store (the store option `verifier`).
export { createNodeVerifierPool } from './createNodeVerifierPool.ts'

export type { LevelStoreFactoryOptions } from './LevelStoreFactory.ts'
export type { LevelChangeStoreOptions } from './LevelChangeStore.ts'
export type { LevelKeyValueStoreOptions } from './LevelKeyValueStore.ts'
export type { IntegrityOptions, IntegrityReport } from './checkStoreIntegrity.ts'
export type { StoreList } from './listStores.ts'
export type { NodeVerifierPoolOptions } from './createNodeVerifierPool.ts'
export type { LevelDatabase, StoreMeta, ArrivalRow } from './StoreLayout.ts'
