import type { Cursor, HashRange, RangeFingerprint, ReconcileMessage, ScanItem, StoreHead } from '@weft/core/backend'

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
  /**
   * `token`: an operator-issued registration token, needed to create a tenant on a server whose
   * open registration is off (updates of a known tenant, signed by its admin, need none).
   */
  register: { req: { registration: SignedRegistration; token?: string }; res: { members: number; seq: number } }
  /**
   * The tenant directory's signed membership records, in plaintext signed form (see
   * `verifyMemberRecord`): the server verifies each, keeps the ones it lacks and admits the devices
   * its fold of them lists. `refused`: the records it refused (their index in `records`), each with
   * its code; `held`: how many records the server holds for the tenant now. A request whose every
   * record is refused fails with `WEFT_MEMBER_RECORD_REFUSED`.
   */
  directory: {
    req: { records: string[] }
    res: { added: number; held: number; refused: { index: number; code: string; message: string }[] }
  }
  /** A signed transfer of the tenant id to a new registered admin on this server. */
  transfer: { req: { control: SignedTenantControl }; res: { admin: Uint8Array; seq: number } }
  /** A signed reset: the tenant's registration, directory and data on this server are erased. */
  reset: { req: { control: SignedTenantControl }; res: { reset: true; seq: number } }
  /** `serverId`: the server's identity, which the client signs the challenge for. */
  challenge: { req: { publicKey: Uint8Array }; res: { challenge: Uint8Array; expiresAt: number; serverId: string } }
  session: {
    /** `server` and `serverId`: the origin and the server identity the client signed the challenge for (see `signChallenge`). */
    req: { publicKey: Uint8Array; challenge: Uint8Array; server: string; serverId: string; signature: Uint8Array }
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
  scan: {
    req: { since: Cursor | null; limit: number }
    res: { entries: ScanItem[]; cursor: Cursor; reset: boolean; done: boolean }
  }
  head: { req: Record<string, never>; res: StoreHead }
  fingerprint: { req: { range: HashRange }; res: RangeFingerprint }
  range: { req: { range: HashRange; limit: number }; res: { hashes: Uint8Array } }
  reconcile: { req: { message: ReconcileMessage }; res: { message: ReconcileMessage } }
  'doc-hashes': { req: { docId: string }; res: { hashes: Uint8Array } }
  /**
   * The given hashes the server holds, in its arrival order, found by walking a bounded stretch of
   * that order from `since` (null: the start): pass `cursor` back until `done`. `seqs[i]` is the
   * arrival number of the i-th hash (in the epoch of `cursor`), so a client ordering more hashes
   * than one request takes merges the answers; a server before it sends none.
   */
  order: {
    req: { hashes: Uint8Array; since?: Cursor | null }
    res: { hashes: Uint8Array; cursor: Cursor; done: boolean; seqs?: number[] }
  }
  /** What the signed-in tenant stores on the server, across its databases, and its limits there. */
  usage: { req: Record<string, never>; res: TenantUsage }
}

/** A tenant's storage on a server: entry bytes and entries across all its databases, its registrations and its mailbox. */
export interface TenantUsage {
  /** Bytes of the entries held (each entry's exact bytes; the server's indexes are not counted). */
  readonly bytes: number
  readonly entries: number
  readonly databases: number
  /** Keys registered for the tenant: its members (the admin among them) and its author-only keys. */
  readonly members: number
  /** Bytes of the tenant's stored registration record (its keys, revoked keys, `until`s). */
  readonly registrationBytes: number
  /** Messages in the tenant's mailbox, and their body bytes. */
  readonly mailMessages: number
  readonly mailBytes: number
  readonly limits: TenantLimits
}

/** The quotas and request rate that apply to one tenant on a server; `null` means no limit. */
export interface TenantLimits {
  readonly maxBytes: number | null
  readonly maxEntries: number | null
  readonly maxDatabases: number | null
  /** Most registered keys (members and authors). */
  readonly maxMembers: number | null
  /** Most messages, and message body bytes, in the tenant's mailbox. */
  readonly maxMailMessages: number | null
  readonly maxMailBytes: number | null
  /** Requests a second all the tenant's sessions together may send (sustained), with bursts up to `burst`. */
  readonly requestsPerSecond: number | null
  readonly burst: number | null
}

/** One message in a tenant's mailbox: opaque bytes, numbered in arrival order, with the member key that posted it. */
export interface MailMessage {
  readonly seq: number
  readonly from: Uint8Array
  readonly body: Uint8Array
  /** The member key it is addressed to, if the sender named one: that member may delete it. */
  readonly to?: Uint8Array
  /** Its supersession topic, if it has one (see {@link MailPut}). */
  readonly topic?: string
}

/**
 * A message to leave in the mailbox. `to` addresses it to one member key, who may then delete it.
 * `topic` (at most `MAIL_LIMITS.maxTopicLength`, e.g. `keys:<grantId>`) makes it supersede the
 * sender's earlier messages of that topic: the server keeps, per sender and topic, only the
 * messages of the newest `set` and frees the rest. `set` groups the parts of one multi-part
 * message (a roster's seq, say); absent, it is the message's own seq, so each message replaces
 * every earlier one of its topic. A message whose set is older than one held is not kept.
 */
export interface MailPut {
  readonly body: Uint8Array
  readonly to?: Uint8Array
  readonly topic?: string
  readonly set?: number
}

/** Request and response body of the mailbox operations. */
export interface MailBodies {
  /** `seq`: the message's number; `kept: false` when a newer set of its topic superseded it at once. */
  put: { req: MailPut; res: { seq: number; kept?: boolean } }
  /** Messages after `after` (0: from the start), oldest first; `more` when the list was cut at the limit. */
  list: { req: { after: number; limit?: number }; res: { messages: MailMessage[]; more: boolean } }
  /**
   * Deletes the named messages (at most `MAIL_LIMITS.maxDelete`); each must have been posted by,
   * or addressed to, the caller's key (`WEFT_FORBIDDEN` otherwise, and nothing is deleted). Numbers
   * the mailbox no longer holds are skipped, so an acknowledgement can be repeated.
   */
  delete: { req: { seqs: number[] }; res: { deleted: number } }
}

/**
 * `GET /v1/identity` (JSON, unauthenticated): who this server is. `serverId` is random, made at
 * the server's first start and kept with its data, so it survives restarts; sign-ins and
 * registrations name it, and other servers refuse them.
 */
export interface ServerIdentity {
  readonly serverId: string
  readonly protocol: number
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
  /** The identity of the server it is for (`GET /v1/identity`): every other server refuses it. */
  readonly server: string
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

/**
 * A control operation on a tenant id on one server: `transfer` makes `to` the tenant's registered
 * admin there; `reset` erases the tenant's registration, directory and data there. Signed for the
 * server's identity, with a `seq` above every control `seq` that server saw for the tenant id.
 */
export interface TenantControl {
  readonly v: 1
  readonly op: 'transfer' | 'reset'
  /** The identity of the server it is for (`GET /v1/identity`): every other server refuses it. */
  readonly server: string
  readonly tenant: string
  readonly seq: number
  /** The signer's Ed25519 public key. */
  readonly signer: Uint8Array
  /** The new registered admin (a transfer only). */
  readonly to?: Uint8Array
  readonly issuedAt: number
}

export interface SignedTenantControl extends TenantControl {
  readonly signature: Uint8Array
}

/** WebSocket messages, client to server. */
export type ClientSocketMessage =
  | { readonly type: 'subscribe'; readonly db: string; readonly since: Cursor | null }
  | { readonly type: 'unsubscribe'; readonly db: string }
  | PresenceSocketMessage

/**
 * Presence on a live socket, client to server. `scope` is a database name, or `''` for the
 * tenant's own presence. `presence-watch` asks for the presence messages other sockets of the
 * tenant send in `scope`; `presence` sends one to them (`data`: a signed, encrypted presence
 * message of at most `PRESENCE_LIMITS.maxMessageBytes`, opaque to the server). The server keeps
 * none of them.
 */
export type PresenceSocketMessage =
  | { readonly type: 'presence-watch'; readonly scope: string }
  | { readonly type: 'presence-unwatch'; readonly scope: string }
  | { readonly type: 'presence'; readonly scope: string; readonly data: Uint8Array }

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
  /** Another socket of the tenant sent this presence message in a `scope` this socket watches. */
  | { readonly type: 'presence'; readonly scope: string; readonly data: Uint8Array }
  /**
   * A presence message of this socket was refused (`WEFT_RATE_LIMITED`, `WEFT_PAYLOAD_TOO_LARGE`,
   * `WEFT_PROTOCOL`): nothing else about the socket changes, unlike an `error`. Sent at most once a second.
   */
  | { readonly type: 'presence-refused'; readonly scope: string; readonly code: string; readonly message: string }
