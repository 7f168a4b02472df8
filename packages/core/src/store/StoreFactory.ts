import type { ChangeStore } from './ChangeStore.ts'
import type { KeyValueStore } from './KeyValueStore.ts'
import { MemoryChangeStore } from './MemoryChangeStore.ts'
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
}

/** Keeps everything in memory, for as long as the factory lives. */
export class MemoryStoreFactory implements StoreFactory {
  readonly #stores = new Map<string, MemoryChangeStore>()
  readonly #kv = new Map<string, MemoryKeyValueStore>()

  async openChangeStore(name: string): Promise<ChangeStore> {
    let store = this.#stores.get(name)
    if (!store || store.closed) this.#stores.set(name, (store = new MemoryChangeStore()))
    return store
  }

  async openKeyValueStore(name: string): Promise<KeyValueStore> {
    let kv = this.#kv.get(name)
    if (!kv) this.#kv.set(name, (kv = new MemoryKeyValueStore()))
    return kv
  }

  async close(): Promise<void> {
    await Promise.all([...this.#stores.values()].map((s) => s.close()))
    this.#stores.clear()
  }
}
