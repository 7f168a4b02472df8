/** Version of the Weft sync protocol; every path starts with `/v1`. */
export const PROTOCOL_VERSION = 1

/** Media type of request and success bodies (MessagePack). Error bodies are JSON. */
export const MSGPACK_TYPE = 'application/vnd.weft.v1+msgpack'

/** The header that names a tenant. */
export const TENANT_HEADER = 'x-tenant-id'

/** Limits a server enforces; a client keeps its requests inside them. */
export interface ProtocolLimits {
  /** Largest request body, in bytes. */
  readonly maxBodyBytes: number
  /** Most entries in one push. */
  readonly maxEntriesPerRequest: number
  /** Largest single entry, in bytes. */
  readonly maxEntryBytes: number
  /** Most hashes in one `has` or `get`. */
  readonly maxHashesPerRequest: number
  /**
   * Most entry bytes in one response (`get`) or one socket page: the rest is paged (a single entry
   * larger than this still goes alone).
   */
  readonly maxResponseBytes: number
  /** Requests per second a client may send (sustained), with bursts up to `burst`. */
  readonly requestsPerSecond: number
  readonly burst: number
}

export const DEFAULT_LIMITS: ProtocolLimits = {
  maxBodyBytes: 8 * 1024 * 1024,
  maxEntriesPerRequest: 2_000,
  maxEntryBytes: 1024 * 1024,
  maxHashesPerRequest: 10_000,
  maxResponseBytes: 8 * 1024 * 1024,
  requestsPerSecond: 200,
  burst: 400,
}

/** The per-database operations, each `POST /v1[/t/<tenant>]/db/<db>/<op>`. */
export const DB_OPS = [
  'push',
  'has',
  'get',
  'scan',
  'head',
  'fingerprint',
  'range',
  'reconcile',
  'doc-hashes',
  'order',
] as const
export type DbOp = (typeof DB_OPS)[number]

/**
 * The tenant-level operations, each `POST /v1[/t/<tenant>]/<op>`. `register`, `directory`,
 * `transfer`, `reset`, `challenge` and `session` come before signing in (each is signed, or
 * self-authenticating); `usage` (the tenant's storage use and limits) needs a session.
 */
export const TENANT_OPS = ['register', 'directory', 'transfer', 'reset', 'challenge', 'session', 'usage'] as const
export type TenantOp = (typeof TENANT_OPS)[number]

/**
 * The mailbox operations, each `POST /v1[/t/<tenant>]/mail/<op>`: small opaque messages between a
 * tenant's members. `delete` removes messages its caller posted or that are addressed to it.
 */
export const MAIL_OPS = ['put', 'list', 'delete'] as const
export type MailOp = (typeof MAIL_OPS)[number]

/** Limits of a tenant's mailbox on a server. */
export const MAIL_LIMITS = {
  /** Largest message, in bytes. */
  maxMessageBytes: 64 * 1024,
  /** Most messages a tenant's mailbox holds by default (the server's `maxMailMessagesPerTenant` quota). */
  maxMessages: 1_000,
  /** Most messages one `list` returns. */
  maxList: 100,
  /** Most messages one `delete` names. */
  maxDelete: 100,
  /** Longest supersession topic of a message, in UTF-16 code units. */
  maxTopicLength: 256,
} as const

/**
 * The message of the `403 WEFT_FORBIDDEN` a server answers to a key whose registration's `until`
 * has passed, so a client can tell a membership that ran out from one that was revoked.
 */
export const MEMBERSHIP_EXPIRED = "this key's membership has expired"

/**
 * WebSocket close codes a server uses to end a live connection, so a client knows what to do:
 * `SIGN_IN_AGAIN` (the session ended: sign in again and reconnect), `FORBIDDEN` (the key's
 * membership was revoked or ran out: do not retry), `TOO_SLOW` (the client read too slowly and
 * the server's buffer for it filled: reconnect from the saved cursor), `GOING_AWAY` (this server
 * process is shutting down: reconnect at once, without backoff, to another process serving the
 * same storage), `TRY_LATER` (the tenant is held for a while, being moved to another isolation
 * model: reconnect after a backoff, from the saved cursor).
 */
export const SOCKET_CLOSE = {
  SIGN_IN_AGAIN: 4401,
  FORBIDDEN: 4403,
  TOO_SLOW: 4408,
  GOING_AWAY: 4503,
  TRY_LATER: 4429,
} as const
