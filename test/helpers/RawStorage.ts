import { MemoryStoreFactory, type ChangeStore, type KeyValueStore, type StoreFactory } from '@weft/core/backend'
import { RawRelayStore } from './RawRelayStore.ts'

/** Server storage that keeps and serves whatever it is given (a compromised disk or backend). */
export class RawStorage implements StoreFactory {
  readonly #kv = new MemoryStoreFactory()
  readonly stores = new Map<string, RawRelayStore>()
  async openChangeStore(name: string): Promise<ChangeStore> {
    let s = this.stores.get(name)
    if (!s) this.stores.set(name, (s = new RawRelayStore()))
    return s
  }
  openKeyValueStore(name: string): Promise<KeyValueStore> {
    return this.#kv.openKeyValueStore(name)
  }
  close(): Promise<void> {
    return this.#kv.close()
  }
}
