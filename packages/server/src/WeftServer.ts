import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import {
  ErrorCodes,
  MemoryStoreFactory,
  ready,
  WeftError,
  type KeyValueStore,
  type StoreFactory,
} from '@weft/core/backend'
import { DEFAULT_LIMITS, type ProtocolLimits } from '@weft/protocol'
import { Authenticator } from './Authenticator.ts'
import { serveRequest, type RequestContext } from './serveRequest.ts'
import { serveUpgrade, type UpgradeContext } from './serveUpgrade.ts'
import type { TenantOpContext } from './handleTenantOp.ts'
import { LiveSockets } from './LiveSockets.ts'
import { PresenceRelay } from './presence/PresenceRelay.ts'
import { MemoryBudget } from './MemoryBudget.ts'
import { InFlight } from './InFlight.ts'
import { RequestRates } from './RequestRates.ts'
import { RequestSignIn } from './RequestSignIn.ts'
import { RegistrationGate } from './RegistrationGate.ts'
import { serverIdentity } from './serverIdentity.ts'
import { signInOrigins } from './signInOrigins.ts'
import type { TenantQuota, WeftServerOptions } from './ServerOptions.ts'
import { tenantQuotaResolver } from './tenantQuota.ts'
import { TenantState } from './TenantState.ts'
import { RequestObserver } from './observability/RequestObserver.ts'
import { ServerMetrics } from './observability/ServerMetrics.ts'
import type { AdminContext } from './tenancy/handleAdmin.ts'
import { ConsoleRoute } from './console/answerConsole.ts'
import type { Tenancy } from './tenancy/Tenancy.ts'
import { openServerTenancy } from './tenancy/openServerTenancy.ts'
import { ClusterLink } from './cluster/ClusterLink.ts'
import { openCluster, type Cluster } from './cluster/openCluster.ts'

/**
 * The Weft relay: stores and serves encrypted entries for many tenants and databases over HTTP
 * (MessagePack bodies) and pushes new entries to subscribed WebSocket clients. It holds no keys
 * and reads no plaintext; it checks every pushed entry's hash, signature and author membership.
 *
 * ```ts
 * const server = await WeftServer.start({ storeFactory: new LevelStoreFactory({ location }), port: 8787 })
 * console.log(server.url)
 * await server.close()
 * ```
 */
export class WeftServer {
  readonly #http: Server
  readonly #serverId: string
  readonly #factory: StoreFactory
  /** Members, directories, data generations, stores, usage and mailboxes of the tenants. */
  readonly #tenants: TenantState
  readonly #auth: Authenticator
  /** What serving requests and sockets needs (see `serveRequest` and `serveUpgrade`). */
  readonly #serving: RequestContext & UpgradeContext
  readonly #limits: ProtocolLimits
  readonly #rates: RequestRates
  readonly #quotaFor: (tenant: string) => TenantQuota
  readonly #log: (message: string, error?: unknown) => void
  readonly #live: LiveSockets
  /** Passes presence messages between a tenant's sockets; keeps none. */
  readonly #presence: PresenceRelay
  /** What the server holds in memory per tenant: responses being written, pages buffered on sockets. */
  readonly #budget: MemoryBudget
  #closing: Promise<void> | undefined
  /** Set by a graceful close: the server takes no new work and says it is not ready. */
  #draining = false
  /** Requests being answered (a graceful close waits for them). */
  readonly #inFlight = new InFlight()
  /** Tenants' lifecycle, settings, keys, events and stats (set by `open`, before any request). */
  #tenancy!: Tenancy
  #admin!: AdminContext
  /** What it shares with other processes over the same storage (absent: it is the only one). */
  readonly #cluster: Cluster | undefined
  /** Its statistics and live push shared with the other processes, once joined (when there is a cluster). */
  #link: ClusterLink | undefined

  private constructor(
    options: WeftServerOptions,
    factory: StoreFactory,
    kv: KeyValueStore,
    quotaFor: (tenant: string) => TenantQuota,
    serverId: string,
    cluster: Cluster | undefined,
  ) {
    this.#cluster = cluster
    this.#serverId = serverId
    this.#factory = factory
    this.#log = options.log ?? (() => {})
    this.#tenants = new TenantState(kv, factory, { directory: options.directory, log: this.#log })
    // Who may create tenants, and how many.
    const gate = new RegistrationGate(options.registration)
    this.#quotaFor = quotaFor
    this.#budget = new MemoryBudget((tenant) => this.#tenantQuota(tenant).maxHeldBytesPerTenant)
    const acceptsOrigin = signInOrigins(options)
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits }
    this.#presence = new PresenceRelay(options.presence)
    this.#rates = new RequestRates(this.#limits.requestsPerSecond, this.#limits.burst, cluster?.state.kv)
    if (cluster) this.#tenants.share(cluster.state)
    this.#auth = new Authenticator(this.#tenants.admission, {
      serverId,
      ...(cluster ? { shared: cluster.sessions, fresh: (t: string) => cluster.state.fresh(t) } : {}),
      ...(options.signIn ? { challenges: options.signIn } : {}),
      sessionTtlMs: options.sessionTtlMs ?? 15 * 60_000,
      challengeTtlMs: options.challengeTtlMs ?? 60_000,
    })
    const tenancy = () => this.#tenancy
    const quotaOf = (tenant: string) => this.#tenantQuota(tenant)
    const signIn = new RequestSignIn({ auth: this.#auth, rates: this.#rates, options, tenancy, quotaFor: quotaOf })
    const tenantOps: TenantOpContext = {
      serverId,
      registry: this.#tenants.registry,
      directory: this.#tenants.directory,
      times: this.#tenants.times,
      eraseData: (tenant) => this.#tenancy.nextGeneration(tenant),
      gate,
      auth: this.#auth,
      quotaFor: quotaOf,
      acceptsOrigin,
      membershipsChanged: async (tenant) => {
        this.#live.recheck(tenant)
        await this.#cluster?.state.touch(tenant)
      },
    }
    const metrics = options.metrics ? (options.metrics.registry ?? new ServerMetrics()) : undefined
    metrics?.watchLiveConnections(() => this.#live.size)
    // Request logs and metrics (see `logger` and `metrics` in the options).
    const observer = new RequestObserver(options.logger, metrics)
    const consoleRoute = new ConsoleRoute(options.console ?? true)
    this.#http = createServer((req, res) => {
      observer.begin(req, res)
      void serveRequest(this.#serving, req, res)
    })
    this.#http.on('upgrade', (req, socket, head) => void serveUpgrade(this.#serving, req, socket, head))
    this.#http.on('clientError', (_err, socket) => socket.destroy())
    // Longer than clients keep idle connections, so a request never races the server closing one.
    this.#http.keepAliveTimeout = 65_000
    this.#live = new LiveSockets({
      pingIntervalMs: options.pingIntervalMs ?? 30_000,
      changed: (tenant) => this.#link?.stats.changed(tenant),
    })
    this.#serving = {
      serverId,
      options,
      kv,
      limits: this.#limits,
      tenants: this.#tenants,
      tenantOps,
      tenancy,
      quotaFor: quotaOf,
      signIn,
      auth: this.#auth,
      rates: this.#rates,
      budget: this.#budget,
      metrics,
      observer,
      console: consoleRoute,
      live: this.#live,
      inFlight: this.#inFlight,
      presence: this.#presence,
      admin: () => this.#admin,
      stats: () => this.#link?.stats,
      livePush: () => this.#link?.livePush,
      closing: () => this.#closing !== undefined,
      draining: () => this.#draining,
      log: this.#log,
    }
  }

  /** Starts a server and resolves once it listens. */
  static async start(options: WeftServerOptions = {}): Promise<WeftServer> {
    const server = await WeftServer.open(options)
    await new Promise<void>((resolve, reject) => {
      server.#http.once('error', reject)
      server.#http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
    })
    return server
  }

  /**
   * A server that does not listen: an app passes it requests ({@link handleRequest}) and socket
   * upgrades ({@link handleUpgrade}) from its own HTTP server. `createWeftHandler` wraps it.
   */
  static async open(options: WeftServerOptions = {}): Promise<WeftServer> {
    await ready()
    const quotaFor = tenantQuotaResolver(options.quotas, { ...DEFAULT_LIMITS, ...options.limits })
    const factory: StoreFactory = options.storeFactory ?? new MemoryStoreFactory()
    const kv = await factory.openKeyValueStore('weft-server')
    const serverId = await serverIdentity(kv)
    const cluster = await openCluster(options.cluster, factory, kv, {
      serverId,
      challengeTtlMs: options.challengeTtlMs ?? 60_000,
    })
    const server = new WeftServer(options, factory, kv, quotaFor, serverId, cluster)
    const opened = await openServerTenancy({
      options,
      kv,
      factory,
      maxEntryBytes: server.#limits.maxEntryBytes,
      tenants: server.#tenants,
      live: server.#live,
      rates: server.#rates,
      auth: server.#auth,
      quotaFor: (tenant) => server.#tenantQuota(tenant),
      log: server.#log,
    })
    server.#tenancy = opened.tenancy
    server.#admin = opened.admin
    await server.#joinCluster()
    return server
  }

  /** Listens to the other processes over the same storage, and shares request counts with them. */
  async #joinCluster(): Promise<void> {
    if (!this.#cluster) return
    const link = await ClusterLink.join(this.#cluster, {
      tenancy: this.#tenancy,
      registry: this.#tenants.registry,
      directory: this.#tenants.directory,
      generations: this.#tenants.generations,
      auth: this.#auth,
      usage: this.#tenants.usage,
      mailbox: this.#tenants.mailbox,
      live: this.#live,
      presence: this.#presence,
      log: this.#log,
    })
    this.#link = link
    this.#admin = { ...this.#admin, shared: (tenant) => link.stats.read(tenant) }
  }

  /** The server's tenancy: catalogue, API keys, event bus and its streams, request counters. */
  get tenancy(): Tenancy {
    return this.#tenancy
  }

  /** Serves one HTTP request (for a server made by {@link open}, mounted in another app). */
  handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return serveRequest(this.#serving, req, res)
  }

  /** Serves one WebSocket upgrade (for a server made by {@link open}, mounted in another app). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    return serveUpgrade(this.#serving, req, socket, head)
  }

  /** The port it listens on. */
  get port(): number {
    return (this.#http.address() as AddressInfo).port
  }

  /** Base URL, e.g. `http://127.0.0.1:8787`. */
  get url(): string {
    const a = this.#http.address() as AddressInfo
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`
  }

  /**
   * This server's identity: random, made at its first start and kept with its data (so a restart
   * on the same storage keeps it). Sign-ins and registrations are made for it; other servers refuse them.
   */
  get serverId(): string {
    return this.#serverId
  }

  /** Number of open WebSocket clients. */
  get liveConnections(): number {
    return this.#live.size
  }

  /** Presence messages the server passed on to a watching socket, and refused, since it started. */
  get presenceCounts(): { readonly forwarded: number; readonly refused: number } {
    return this.#presence.counts
  }

  /** Append listeners on the stores the server opened: one per live subscription (for leak checks). */
  storeListeners(): Promise<number> {
    return this.#tenants.stores.listenerCount()
  }

  /** Bytes the server holds in memory for `tenant` now (responses being written, pages buffered on its sockets). */
  heldBytes(tenant: string): number {
    return this.#budget.held(tenant)
  }

  /** Whether a graceful close is under way: the server takes no new work and `/readyz` answers 503. */
  get draining(): boolean {
    return this.#draining
  }

  /**
   * Stops listening, drops every connection and closes the storage. With `graceful`, drains first
   * (see {@link drain}).
   */
  close(options: { readonly graceful?: boolean; readonly timeoutMs?: number } = {}): Promise<void> {
    if (options.graceful) return this.drain(options)
    this.#closing ??= this.#shutDown(false, 0)
    return this.#closing
  }

  /**
   * Shuts down gracefully: stops accepting connections and answers `/readyz` with 503 (so a load
   * balancer sends nothing new), closes every live socket with `SOCKET_CLOSE.GOING_AWAY` (clients
   * reconnect at once, to another process), ends kept-alive connections after their current
   * answer, waits up to `timeoutMs` (default 30 s) for the requests in flight (and their storage
   * transactions) to finish, then closes like {@link close}.
   */
  drain(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    this.#closing ??= this.#shutDown(true, options.timeoutMs ?? 30_000)
    return this.#closing
  }

  async #shutDown(graceful: boolean, timeoutMs: number): Promise<void> {
    this.#draining = true
    this.#live.stopPinging()
    const closed = new Promise<void>((resolve) => this.#http.close(() => resolve()))
    if (graceful) {
      this.#http.closeIdleConnections()
      this.#live.goAway()
      this.#tenancy?.streams.closeAll() // event streams, like sockets, are reopened elsewhere
      if (!(await this.#inFlight.whenIdle(timeoutMs)))
        this.#log(`closing with ${this.#inFlight.count} requests still in flight after ${timeoutMs} ms`)
    }
    this.#tenancy?.close()
    this.#live.close()
    this.#http.closeAllConnections()
    await closed
    await this.#link?.close()
    await this.#cluster?.close()
    await this.#factory.close()
  }

  /** The tenant's limits; an operator's `forTenant` that fails is the server's failure, not the client's. */
  #tenantQuota(tenant: string): TenantQuota {
    try {
      return this.#tenancy.quota(tenant, this.#quotaFor(tenant))
    } catch (err) {
      this.#log(`quotas.forTenant failed for ${tenant}`, err)
      throw new WeftError(ErrorCodes.SERVER_ERROR, "the server could not work out the tenant's limits", { cause: err })
    }
  }
}
