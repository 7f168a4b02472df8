import type { Cursor, HashRange, RangeFingerprint, ReconcileMessage, ScanItem, StoreHead } from '@weft/core'

/** An entry on the wire: its content address (hex) and exact bytes. */
export interface WireEntry {
  readonly hash: string
  readonly bytes: Uint8Array
}

/** What happened to one pushed entry. */
export type PushResult =
  | { readonly hash: string; readonly status: 'added' | 'existing' }
  | { readonly hash: string; readonly status: 'rejected'; readonly code: string; readonly message: string }

/** Request and response body of every HTTP operation. */
export interface Bodies {
  register: { req: { registration: SignedRegistration }; res: { members: number; seq: number } }
  challenge: { req: { publicKey: Uint8Array }; res: { challenge: Uint8Array; expiresAt: number } }
  session: {
    /** `server`: the origin the client signed the challenge for (see `signChallenge`). */
    req: { publicKey: Uint8Array; challenge: Uint8Array; server: string; signature: Uint8Array }
    res: { token: string; expiresAt: number; tenant: string }
  }
  push: { req: { entries: WireEntry[] }; res: { results: PushResult[] } }
  /** `hashes`: concatenated 32-byte hashes; `held[i]`: whether the server holds the i-th. */
  has: { req: { hashes: Uint8Array }; res: { held: boolean[] } }
  /**
   * The entries held among `hashes` (each distinct hash once). A response holds at most
   * `maxResponseBytes` of entries (at least one entry): when cut short, `next` says how many of
   * the distinct requested hashes, in request order, it covers; ask again for the rest.
   */
  get: { req: { hashes: Uint8Array }; res: { entries: WireEntry[]; next?: number } }
  scan: { req: { since: Cursor | null; limit: number }; res: { entries: ScanItem[]; cursor: Cursor; reset: boolean; done: boolean } }
  head: { req: Record<string, never>; res: StoreHead }
  fingerprint: { req: { range: HashRange }; res: RangeFingerprint }
  range: { req: { range: HashRange; limit: number }; res: { hashes: Uint8Array } }
  reconcile: { req: { message: ReconcileMessage }; res: { message: ReconcileMessage } }
  'doc-hashes': { req: { docId: string }; res: { hashes: Uint8Array } }
  /**
   * The given hashes the server holds, in its arrival order, found by walking a bounded stretch of
   * that order from `since` (null: the start): pass `cursor` back until `done`.
   */
  order: { req: { hashes: Uint8Array; since?: Cursor | null }; res: { hashes: Uint8Array; cursor: Cursor; done: boolean } }
  /** What the signed-in tenant stores on the server, across its databases, and its limits there. */
  usage: { req: Record<string, never>; res: TenantUsage }
}

/** A tenant's storage on a server: entry bytes and entries across all its databases. */
export interface TenantUsage {
  /** Bytes of the entries held (each entry's exact bytes; the server's indexes are not counted). */
  readonly bytes: number
  readonly entries: number
  readonly databases: number
  readonly limits: TenantLimits
}

/** The quotas and request rate that apply to one tenant on a server; `null` means no limit. */
export interface TenantLimits {
  readonly maxBytes: number | null
  readonly maxEntries: number | null
  readonly maxDatabases: number | null
  /** Requests a second all the tenant's sessions together may send (sustained), with bursts up to `burst`. */
  readonly requestsPerSecond: number | null
  readonly burst: number | null
}

/** One message in a tenant's mailbox: opaque bytes, numbered in arrival order, with the member key that posted it. */
export interface MailMessage {
  readonly seq: number
  readonly from: Uint8Array
  readonly body: Uint8Array
}

/** Request and response body of the mailbox operations. */
export interface MailBodies {
  put: { req: { body: Uint8Array }; res: { seq: number } }
  /** Messages after `after` (0: from the start), oldest first; `more` when the list was cut at the limit. */
  list: { req: { after: number; limit?: number }; res: { messages: MailMessage[]; more: boolean } }
}

/** A typed error body: `{ code, message }` (JSON). */
export interface ErrorBody {
  readonly code: string
  readonly message: string
}

/**
 * A membership change for one tenant, signed by its admin key. The first registration the server
 * sees for a tenant makes its signer the admin; later ones must be signed by that admin and carry
 * a higher `seq` (so an old registration cannot be replayed).
 */
export interface Registration {
  readonly v: 1
  readonly tenant: string
  readonly seq: number
  /** The admin's Ed25519 public key (the signer). */
  readonly admin: Uint8Array
  /** Member signing keys to add: they may authenticate, and author entries the server accepts. */
  readonly add: readonly Uint8Array[]
  /** Member signing keys to revoke: their sessions end and their new entries are refused. */
  readonly revoke: readonly Uint8Array[]
  readonly issuedAt: number
  /**
   * When the keys in `add` stop being members (milliseconds since the epoch, by the server's
   * clock): from then on they cannot sign in, their sessions end and their entries are refused, as
   * if revoked. Absent: members until revoked. A later registration adding a key again replaces it.
   */
  readonly until?: number
  /**
   * Keys the server accepts as authors of pushed entries without making them members: they cannot
   * sign in. For signers the tenant vouches for, such as another partner's signers whose changes an
   * issuer passes on through a grant's relay space. `revoke` removes them too.
   */
  readonly authors?: readonly Uint8Array[]
}

export interface SignedRegistration extends Registration {
  readonly signature: Uint8Array
}

/** WebSocket messages, client to server. */
export type ClientSocketMessage =
  | { readonly type: 'subscribe'; readonly db: string; readonly since: Cursor | null }
  | { readonly type: 'unsubscribe'; readonly db: string }

/** WebSocket messages, server to client. */
export type ServerSocketMessage =
  | {
      readonly type: 'entries'
      readonly db: string
      readonly entries: WireEntry[]
      /** Resume here: covers every entry sent so far. */
      readonly cursor: Cursor
      /** The client's cursor was from another epoch: the server started over from the beginning. */
      readonly reset: boolean
      /** Nothing more was stored after `cursor` when this was sent: the client is caught up. */
      readonly done: boolean
    }
  | { readonly type: 'error'; readonly code: string; readonly message: string }
