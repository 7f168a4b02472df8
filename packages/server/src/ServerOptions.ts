import type { Logger } from 'pino'
import type { ServerMetrics } from './observability/ServerMetrics.ts'
import type { StoreFactory } from '@weft/core'
import type { ProtocolLimits } from '@weft/protocol'
import type { IncomingMessage } from 'node:http'
import type { ChallengeQuotas } from './ChallengeTable.ts'
import type { DirectoryLimits } from './TenantDirectory.ts'
import type { TenancyOptions } from './tenancy/TenancyOptions.ts'
import type { ClusterOptions } from './cluster/openCluster.ts'
import type { PresenceRelayOptions } from './presence/PresenceRelayOptions.ts'

/**
 * The limits one tenant has on a server. Storage counts each entry's exact bytes once, however
 * often it is pushed; `Infinity` means no limit.
 */
export interface TenantQuota {
  /** Most entry bytes a tenant stores, across its databases. */
  readonly maxBytesPerTenant: number
  /** Most entries a tenant stores, across its databases. */
  readonly maxEntriesPerTenant: number
  /** Most databases a tenant opens. */
  readonly maxDatabasesPerTenant: number
  /** Signed-in requests a second from all the tenant's sessions together (sustained)... */
  readonly tenantRequestsPerSecond: number
  /** ...with bursts up to this many. */
  readonly tenantBurst: number
  /**
   * Most bytes the server holds in memory for a tenant at once: responses being written and pages
   * buffered on its sockets. Past it a `get` is refused (`429 WEFT_RATE_LIMITED`, retry shortly)
   * and sockets wait. A tenant holding nothing may always hold one response or page.
   */
  readonly maxHeldBytesPerTenant: number
  /**
   * Most keys registered for a tenant: its members (the admin among them) and author-only keys.
   * A registration that would pass it is refused whole (`WEFT_QUOTA_EXCEEDED`).
   */
  readonly maxMembersPerTenant: number
  /** Most messages in a tenant's mailbox (superseded and deleted messages no longer count). */
  readonly maxMailMessagesPerTenant: number
  /** Most message body bytes in a tenant's mailbox. */
  readonly maxMailBytesPerTenant: number
}

/**
 * Who may create tenants on a server. The first registration for an unknown tenant id makes its
 * signer the tenant's admin; these options bound how many such tenants appear, and from where.
 */
export interface RegistrationOptions {
  /**
   * `true` (default): anyone may create a tenant. `false`: creating one needs a registration
   * `token` from {@link tokens} (`WEFT_REGISTRATION_CLOSED` otherwise); known tenants' admins
   * register and revoke members as before.
   */
  readonly open?: boolean
  /** Operator-issued tokens that allow creating a tenant when open registration is off (each at least 16 characters). */
  readonly tokens?: readonly string[]
  /** Most tenants the server holds; past it no tenant is created (`WEFT_SERVER_FULL`). Default 100,000. */
  readonly maxTenants?: number
  /**
   * Most tenants one remote address may create within `windowMs` (`WEFT_RATE_LIMITED` past it,
   * with a retry time). Default 20 an hour. Behind a proxy every client has the proxy's address:
   * raise it there, or close open registration.
   */
  readonly perAddress?: { readonly tenants: number; readonly windowMs: number }
}

/** The `quotas` server option: defaults for every tenant, and a hook for exceptions. */
export interface QuotaOptions extends Partial<TenantQuota> {
  /**
   * Limits for one tenant, over the defaults above (for a tenant that pays for more, say).
   * Called on every request of the tenant: keep it fast. `undefined`: the defaults.
   */
  readonly forTenant?: (tenant: string) => Partial<TenantQuota> | undefined
}

/** How a {@link WeftServer} runs. Every field is optional. */
export interface WeftServerOptions {
  /**
   * Where entries and memberships are kept. The server owns it and closes it on `close()`.
   * Default: in memory (pass a `LevelStoreFactory` for an embedded LevelDB on disk, or a
   * `PostgresStoreFactory` for PostgreSQL shared by several processes, tenants isolated per model).
   */
  readonly storeFactory?: StoreFactory
  /** Port to listen on; 0 picks a free one. Default 0. */
  readonly port?: number
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string
  /** Overrides of the protocol limits (body size, entries per request, entry size, rate per client). */
  readonly limits?: Partial<ProtocolLimits>
  /**
   * Per-tenant storage quotas and request rate, across all of a tenant's databases and sessions.
   * Defaults in {@link DEFAULT_QUOTAS}; `Infinity` lifts a limit. `forTenant` gives one tenant
   * other limits.
   */
  readonly quotas?: QuotaOptions
  /** Who may create tenants, how many the server holds and how fast one address adds them. */
  readonly registration?: RegistrationOptions
  /**
   * Bounds of the tenant directories the server keeps (the signed membership records devices
   * post): most records and bytes per tenant. Defaults: 10,000 records, 8 MiB.
   */
  readonly directory?: Partial<DirectoryLimits>
  /** Life of a session token, in milliseconds. Default 15 minutes. */
  readonly sessionTtlMs?: number
  /** Life of an authentication challenge, in milliseconds. Default 60 seconds. */
  readonly challengeTtlMs?: number
  /**
   * Base domain for tenant subdomains: with `sync.example.com`, a request to
   * `acme.sync.example.com` names tenant `acme`. Unset: subdomains name no tenant.
   */
  readonly baseDomain?: string
  /**
   * The URLs clients use to reach this server, e.g. `['https://sync.example.com']` (with
   * `baseDomain`, tenant subdomains of these are accepted too). A sign-in signed for any other
   * server is refused, so a server a member also signs in to cannot pass that member's signature
   * on to this one. Unset: a sign-in must name the host in the request's `Host` header, which
   * whoever sends the request chooses; set this wherever untrusted servers can reach this one.
   * Every sign-in is also bound to the server's identity (`serverId`), with or without this.
   */
  readonly publicUrls?: readonly string[]
  /**
   * How many sign-in challenges may wait for their answer: in all, per tenant and per client
   * address (an IPv6 /64). Defaults: 100,000, 1,000 and 256. Past a tenant's or an address's
   * quota a challenge is refused (`429 WEFT_RATE_LIMITED`); a full table drops the oldest
   * challenge of the tenant holding the most, so it never refuses a tenant that holds few.
   */
  readonly signIn?: Partial<ChallengeQuotas>
  /**
   * Browser origins allowed to call the server (CORS), or `'*'` for any. Authentication is by
   * bearer token, never cookies, so another site cannot ride a user's session. Default `'*'`.
   */
  readonly allowedOrigins?: readonly string[] | '*'
  /**
   * Which pushed entries are accepted: `'members'` (default) only those authored by a registered
   * member of the tenant; `'any'` any author (hash and signature are still checked), for a relay
   * that also carries partners' entries whose signers it does not know.
   */
  readonly authors?: 'members' | 'any'
  /**
   * How much presence the relay passes on between a tenant's live sockets (see
   * docs/api-guide.md): messages a second per socket and per tenant, scopes per socket. It never
   * stores or reads them.
   */
  readonly presence?: PresenceRelayOptions
  /**
   * A WebSocket client that leaves what the server sent unread this long (the server waits for it
   * before sending more) is dropped with close code `SOCKET_CLOSE.TOO_SLOW`, in milliseconds.
   * Default 30 seconds.
   */
  readonly slowSocketMs?: number
  /** Interval of WebSocket keep-alive pings, in milliseconds. Default 30 seconds. */
  readonly pingIntervalMs?: number
  /**
   * Tenant management: the isolation model of new tenants, the default tenant, a single fixed
   * tenant, the bootstrap admin API key, server-wide feature flags, event and webhook bounds.
   */
  readonly tenancy?: TenancyOptions
  /**
   * The tenant the embedding app's own authentication says a request is for (the middleware's
   * hook, see `createWeftHandler`): it must agree with every other way the request names one
   * (`WEFT_TENANT_MISMATCH` otherwise). Undefined: the app names none.
   */
  readonly resolveTenant?: (req: IncomingMessage) => string | undefined | Promise<string | undefined>
  /** Where the server reports failures it survives. Default: nowhere. */
  readonly log?: (message: string, error?: unknown) => void
  /**
   * Structured request log (a pino logger, see `createServerLogger`): one JSON line per request
   * with its id, route shape, tenant, status, duration and refusal code; never a body, key or
   * token. Default: none.
   */
  readonly logger?: Logger
  /**
   * Prometheus metrics at `GET /metrics` (prom-client text format). Absent: no `/metrics`. With a
   * `token`, a scrape must send `Authorization: Bearer <token>` (else 401).
   */
  readonly metrics?: { readonly token?: string; readonly registry?: ServerMetrics }
  /**
   * Several server processes over one storage acting as one server: live push (an entry stored
   * through one process reaches subscribers of every other), sign-ins, quotas, the tenant
   * request rate, revocations, statistics and events shared through the storage and its bus. On
   * by default where the storage has a bus (`PostgresStoreFactory`); give a `bus` for another
   * (a `LocalClusterHub`'s, for servers in one process), or `false` for a PostgreSQL server that
   * is the only process. See "Running several processes" in docs/operations.md.
   */
  readonly cluster?: ClusterOptions | false
  /**
   * The web console at `/console` (docs/console.md). Default true: the console this package
   * ships. `{ dir }` serves a console built elsewhere (`index.html`, `console.js`, `console.css`);
   * false answers it with `WEFT_FEATURE_DISABLED`.
   */
  readonly console?: boolean | { readonly dir: string }
}
