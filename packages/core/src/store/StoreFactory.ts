import type { ChangeStore } from './ChangeStore.ts'
import type { KeyValueStore } from './KeyValueStore.ts'
import type { ClusterBus } from './ClusterBus.ts'
import type { TenantCatalogueStore } from './TenantCatalogueStore.ts'
import { MemoryChangeStore } from './MemoryChangeStore.ts'
import type { StoreOptions } from './BaseChangeStore.ts'
import { MemoryKeyValueStore } from './KeyValueStore.ts'

/**
 * Where a {@link TenantFactory} keeps its data. A backend package (LevelDB, IndexedDB, remote)
 * provides one. Opening the same name twice returns the same store while it is open.
 */
export interface StoreFactory {
  /** The change store for one database, named `<tenant>/<db>`. */
  openChangeStore(name: string): Promise<ChangeStore>
  /** The record store for tenant records and sync state. */
  openKeyValueStore(name: string): Promise<KeyValueStore>
  /** Closes everything it opened. */
  close(): Promise<void>
  /**
   * Signals between the processes that share this storage (a storage only one process opens has
   * none). Each call returns a new bus, which the caller closes.
   */
  clusterBus?(): ClusterBus
  /**
   * Where a server keeps its tenant catalogue, for a storage that places tenants itself (one row
   * per tenant, beside its placement). Without it, the server keeps the catalogue in its record store.
   */
  catalogueStore?(): TenantCatalogueStore
}

/** Keeps everything in memory, for as long as the factory lives. */
export class MemoryStoreFactory implements StoreFactory {
  readonly #stores = new Map<string, MemoryChangeStore>()
  readonly #kv = new Map<string, MemoryKeyValueStore>()
  readonly #storeOptions: (name: string) => StoreOptions

  /** `storeOptions` may choose options (size limits, batch limit) per store name. */
  constructor(options: { storeOptions?: StoreOptions | ((name: string) => StoreOptions) } = {}) {
    const o = options.storeOptions ?? {}
    this.#storeOptions = typeof o === 'function' ? o : () => o
  }

  async openChangeStore(name: string): Promise<ChangeStore> {
    let store = this.#stores.get(name)
    if (!store || store.closed) this.#stores.set(name, (store = new MemoryChangeStore(this.#storeOptions(name))))
    return store
  }

  async openKeyValueStore(name: string): Promise<KeyValueStore> {
    let kv = this.#kv.get(name)
    if (!kv) this.#kv.set(name, (kv = new MemoryKeyValueStore()))
    return kv
  }

  /** The names of the change stores it holds that start with `prefix`, sorted. */
  async changeStoreNames(prefix: string): Promise<string[]> {
    return [...this.#stores]
      .filter(([name, s]) => name.startsWith(prefix) && !s.closed)
      .map(([name]) => name)
      .sort()
  }

  /** Erases the change store `name`: closes it and drops what it held. Opening it again makes a new, empty store. */
  async eraseChangeStore(name: string): Promise<void> {
    const store = this.#stores.get(name)
    this.#stores.delete(name)
    await store?.close()
  }

  async close(): Promise<void> {
    await Promise.all([...this.#stores.values()].map((s) => s.close()))
    this.#stores.clear()
  }
}
