import {
  ErrorCodes,
  MemoryStoreFactory,
  WeftError,
  type BackoffOptions,
  type ChangeStore,
  type KeyValueStore,
  type ServerSigner,
  type SigningKeyPair,
  type StoreFactory,
} from '@weft/core/backend'
import { RemoteChangeStore } from './RemoteChangeStore.ts'
import { ServerConnection } from './ServerConnection.ts'
import { webSocketOf, type WebSocketConstructor } from './webSocket.ts'

/** Options of a {@link RemoteStoreFactory}. */
export interface RemoteStoreFactoryOptions {
  readonly url: string
  /**
   * The key each tenant signs in with: a member signing key the tenant admin registered on the
   * server, or a device's `tenant.serverSigner()` (a device its directory admits; asked for when
   * the tenant's first database opens).
   */
  readonly keys: (tenant: string) => SigningKeyPair | ServerSigner
  /**
   * Where tenant records and sync states stay: they are the client's own (sealed under the
   * tenant password) and never go to the server. Default: in memory.
   */
  readonly local?: StoreFactory
  readonly fetch?: typeof fetch
  /**
   * Whether databases follow the server live: a database opened here then sees other devices'
   * writes as they land on the server, over one WebSocket per open database (see
   * `RemoteChangeStore`'s `live` option). Default: when a WebSocket is available (the
   * `webSocket` option, or the global one of browsers and Node 22+). `true` without one is
   * `WEFT_INVALID_ARGUMENT`.
   */
  readonly live?: boolean
  /** WebSocket implementation for live databases. Default: the global `WebSocket`; pass `ws` in Node 20. */
  readonly webSocket?: WebSocketConstructor
  /** Reconnect delays of the live sockets. Default: from 250 ms, doubling, up to 30 s. */
  readonly backoff?: BackoffOptions
}

/**
 * A {@link StoreFactory} whose change stores live on a Weft server: `new TenantFactory({ storeFactory:
 * new RemoteStoreFactory({ url, keys }) })` opens every database as a {@link RemoteChangeStore} named
 * `<tenant>/<db>`. Key-value stores (tenant records, sync states) stay local. Its databases follow
 * the server live (another device's write shows up without reopening) when a WebSocket is there.
 */
export class RemoteStoreFactory implements StoreFactory {
  readonly #options: RemoteStoreFactoryOptions
  readonly #local: StoreFactory
  readonly #connections = new Map<string, ServerConnection>()
  readonly #stores = new Map<string, RemoteChangeStore>()
  readonly #webSocket: WebSocketConstructor | undefined

  constructor(options: RemoteStoreFactoryOptions) {
    this.#options = options
    this.#local = options.local ?? new MemoryStoreFactory()
    this.#webSocket = options.live === false ? undefined : webSocketOf(options.webSocket)
    if (options.live === true && !this.#webSocket)
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'live needs a WebSocket: pass one (the `ws` package in Node 20)')
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
      const ws = this.#webSocket
      const live = ws ? { webSocket: ws, ...(this.#options.backoff ? { backoff: this.#options.backoff } : {}) } : false
      store = new RemoteChangeStore({ connection: this.connection(tenant), db, live })
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
