import {
  MemoryStoreFactory,
  type ChangeStore,
  type KeyValueStore,
  type ServerSigner,
  type SigningKeyPair,
  type StoreFactory,
} from '@weft/core/backend'
import { RemoteChangeStore } from './RemoteChangeStore.ts'
import { ServerConnection } from './ServerConnection.ts'

/** Options of a {@link RemoteStoreFactory}. */
export interface RemoteStoreFactoryOptions {
  readonly url: string
  /**
   * The key each tenant signs in with: a member signing key the tenant admin registered on the
   * server, or the tenant's `serverSigner()` (a device its directory admits).
   */
  readonly keys: (tenant: string) => SigningKeyPair | ServerSigner
  /**
   * Where tenant records and sync states stay: they are the client's own (sealed under the
   * tenant password) and never go to the server. Default: in memory.
   */
  readonly local?: StoreFactory
  readonly fetch?: typeof fetch
}

/**
 * A {@link StoreFactory} whose change stores live on a Weft server: `new TenantFactory({ storeFactory:
 * new RemoteStoreFactory({ url, keys }) })` opens every database as a {@link RemoteChangeStore} named
 * `<tenant>/<db>`. Key-value stores (tenant records, sync states) stay local.
 */
export class RemoteStoreFactory implements StoreFactory {
  readonly #options: RemoteStoreFactoryOptions
  readonly #local: StoreFactory
  readonly #connections = new Map<string, ServerConnection>()
  readonly #stores = new Map<string, RemoteChangeStore>()

  constructor(options: RemoteStoreFactoryOptions) {
    this.#options = options
    this.#local = options.local ?? new MemoryStoreFactory()
  }

  /** The connection for a tenant (one per tenant, shared by its databases). */
  connection(tenant: string): ServerConnection {
    let c = this.#connections.get(tenant)
    if (!c) {
      c = new ServerConnection({
        url: this.#options.url,
        tenant,
        key: this.#options.keys(tenant),
        ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
      })
      this.#connections.set(tenant, c)
    }
    return c
  }

  async openChangeStore(name: string): Promise<ChangeStore> {
    let store = this.#stores.get(name)
    if (!store || store.closed) {
      const slash = name.lastIndexOf('/')
      const tenant = name.slice(0, slash)
      const db = name.slice(slash + 1)
      store = new RemoteChangeStore({ connection: this.connection(tenant), db })
      this.#stores.set(name, store)
    }
    return store
  }

  openKeyValueStore(name: string): Promise<KeyValueStore> {
    return this.#local.openKeyValueStore(name)
  }

  async close(): Promise<void> {
    await Promise.all([...this.#stores.values()].map((s) => s.close()))
    this.#stores.clear()
    await this.#local.close()
  }
}
