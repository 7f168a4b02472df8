import type { StoreFactory } from '@weft/core'
import type { ProtocolLimits } from '@weft/client/protocol'

/** How a {@link WeftServer} runs. Every field is optional. */
export interface WeftServerOptions {
  /**
   * Where entries and memberships are kept. The server owns it and closes it on `close()`.
   * Default: in memory (pass a `LevelStoreFactory` for an embedded LevelDB on disk).
   */
  readonly storeFactory?: StoreFactory
  /** Port to listen on; 0 picks a free one. Default 0. */
  readonly port?: number
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string
  /** Overrides of the protocol limits (body size, entries per request, entry size, rate). */
  readonly limits?: Partial<ProtocolLimits>
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
  /** Interval of WebSocket keep-alive pings, in milliseconds. Default 30 seconds. */
  readonly pingIntervalMs?: number
  /** Where the server reports failures it survives. Default: nowhere. */
  readonly log?: (message: string, error?: unknown) => void
}
