import type { ChangeStore, KeyValueStore, StoreFactory } from '../store/index.ts'
import type { DbName, TenantId } from '../types.ts'

/**
 * Where one tenant keeps its data in a storage backend: a change store per database, named
 * `<tenant id>/<db name>`, and its records in named key-value stores, under the prefix `<tenant id>/`.
 */
export class TenantStorage {
  readonly #factory: StoreFactory
  readonly #tenantId: TenantId

  constructor(factory: StoreFactory, tenantId: TenantId) {
    this.#factory = factory
    this.#tenantId = tenantId
  }

  /** The change store of database `dbName`. */
  changeStore(dbName: DbName): Promise<ChangeStore> {
    return this.#factory.openChangeStore(`${this.#tenantId}/${dbName}`)
  }

  /** The key-value store `name` of the backend, shared by its tenants. */
  keyValueStore(name: string): Promise<KeyValueStore> {
    return this.#factory.openKeyValueStore(name)
  }

  /** This tenant's records in the key-value store `name`: the store, and the prefix of their keys. */
  async records(name: string): Promise<{ kv: KeyValueStore; prefix: string }> {
    return { kv: await this.#factory.openKeyValueStore(name), prefix: `${this.#tenantId}/` }
  }
}
