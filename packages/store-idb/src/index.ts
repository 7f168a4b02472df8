/**
 * @packageDocumentation
 * IndexedDB storage for Weft in browsers, via `idb`. `IdbStoreFactory` keeps every change store
 * and record store of a `TenantFactory` in one IndexedDB database, so tenants and their databases
 * survive a page reload and work offline. `IdbChangeStore` assigns arrival numbers in the same
 * transaction that makes an entry visible, maps quota and abort failures to `WEFT_QUOTA_EXCEEDED`
 * and `WEFT_STORAGE_ERROR` with nothing committed, and tells the other tabs of the same origin
 * about new entries over a `BroadcastChannel`.
 */
export { IdbStoreFactory } from './IdbStoreFactory.ts'
export { IdbChangeStore } from './IdbChangeStore.ts'
export { IdbKeyValueStore } from './IdbKeyValueStore.ts'
export { openWeftIdb, WEFT_IDB_VERSION } from './openWeftIdb.ts'
export { toStorageError } from './toStorageError.ts'

export type { IdbStoreFactoryOptions } from './IdbStoreFactory.ts'
export type { IdbChangeStoreOptions } from './IdbChangeStore.ts'
export type { WeftIdb, WeftIdbSchema, LogRecord, StoreMeta } from './openWeftIdb.ts'
