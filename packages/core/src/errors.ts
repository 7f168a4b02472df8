/**
 * Every error Weft throws or reports is a {@link WeftError} with a stable `code`. Match on the
 * code, never on the message. The list is documented in docs/errors.md.
 */

export const ErrorCodes = {
  /** An entry's signature does not verify over its bytes. */
  BAD_SIGNATURE: 'WEFT_BAD_SIGNATURE',
  /** An entry's bytes do not hash to the hash it was delivered under. */
  HASH_MISMATCH: 'WEFT_HASH_MISMATCH',
  /** An entry's bytes do not parse: truncated, trailing bytes, bad field. */
  MALFORMED_ENTRY: 'WEFT_MALFORMED_ENTRY',
  /** An entry or field is over a size limit; rejected before allocation. */
  ENTRY_TOO_LARGE: 'WEFT_ENTRY_TOO_LARGE',
  /** An entry uses a format version this build does not read. */
  UNSUPPORTED_VERSION: 'WEFT_UNSUPPORTED_VERSION',
  /** The named key (or key version) is not in the key bag. */
  KEY_NOT_FOUND: 'WEFT_KEY_NOT_FOUND',
  /** Decryption failed: wrong key material under the right name, or tampered ciphertext. */
  DECRYPT_FAILED: 'WEFT_DECRYPT_FAILED',
  /** The entry's author is not a trusted signer for this database. */
  UNTRUSTED_SIGNER: 'WEFT_UNTRUSTED_SIGNER',
  /** The entry's origin is neither this database nor a partner database it linked. */
  ORIGIN_NOT_LINKED: 'WEFT_ORIGIN_NOT_LINKED',
  /** A password did not open a protected blob. */
  WRONG_PASSWORD: 'WEFT_WRONG_PASSWORD',
  /** A key blob, profile or record does not parse. */
  MALFORMED_BLOB: 'WEFT_MALFORMED_BLOB',
  /** A public profile's self-signature does not verify. */
  BAD_PROFILE: 'WEFT_BAD_PROFILE',
  /** Too many entries in one call. */
  TOO_MANY_ENTRIES: 'WEFT_TOO_MANY_ENTRIES',
  /** `createTenant` for an id that exists. */
  TENANT_EXISTS: 'WEFT_TENANT_EXISTS',
  /** `openTenant` for an id that does not exist. */
  TENANT_NOT_FOUND: 'WEFT_TENANT_NOT_FOUND',
  /** A document id that this database does not hold (or cannot read). */
  DOCUMENT_NOT_FOUND: 'WEFT_DOCUMENT_NOT_FOUND',
  /** A change to a deleted document. */
  DOCUMENT_DELETED: 'WEFT_DOCUMENT_DELETED',
  /** A document has no attachment of that name. */
  ATTACHMENT_NOT_FOUND: 'WEFT_ATTACHMENT_NOT_FOUND',
  /**
   * A chunk of an attachment is neither in the local store nor in any source the database may
   * fetch it from (a lazily synced database that has no source, or whose sources lack it).
   */
  ATTACHMENT_UNAVAILABLE: 'WEFT_ATTACHMENT_UNAVAILABLE',
  /** A document's attachment record, or a chunk it names, does not parse or does not match the record. */
  MALFORMED_ATTACHMENT: 'WEFT_MALFORMED_ATTACHMENT',
  /** The store (or database) was closed. */
  CLOSED: 'WEFT_CLOSED',
  /** A caller passed an argument that can never be valid. */
  INVALID_ARGUMENT: 'WEFT_INVALID_ARGUMENT',
  /** `openDB` of a database already open with another value of an option this call gives (`keyId`, `snapshotEvery`, `attachments`). */
  DB_OPTIONS_CONFLICT: 'WEFT_DB_OPTIONS_CONFLICT',
  /** An operation was aborted through its `AbortSignal`. */
  ABORTED: 'WEFT_ABORTED',
  /** The storage backend failed (disk error, read-only location, lock held by another process). */
  STORAGE_ERROR: 'WEFT_STORAGE_ERROR',
  /** The storage backend is out of space or over its quota; nothing of the failed write was kept. */
  QUOTA_EXCEEDED: 'WEFT_QUOTA_EXCEEDED',
  /** A grant has expired (sharing). */
  GRANT_EXPIRED: 'WEFT_GRANT_EXPIRED',
  /** The grant was revoked by the tenant that issued it; nothing syncs under it any more. */
  GRANT_REVOKED: 'WEFT_GRANT_REVOKED',
  /** The grant requires approval by its issuer and has not been approved yet. */
  GRANT_NOT_APPROVED: 'WEFT_GRANT_NOT_APPROVED',
  /** The sync runs in an environment the grant's `allowedEnvironments` does not list. */
  GRANT_ENVIRONMENT_DENIED: 'WEFT_GRANT_ENVIRONMENT_DENIED',
  /** The grant's `maxSyncs` syncs have been used. */
  GRANT_EXHAUSTED: 'WEFT_GRANT_EXHAUSTED',
  /** No grant with this id was issued by, or accepted by, this tenant. */
  GRANT_NOT_FOUND: 'WEFT_GRANT_NOT_FOUND',
  /** A grant or grant offer does not parse, its signature does not verify, or it is not addressed to this tenant. */
  BAD_GRANT: 'WEFT_BAD_GRANT',
  /** The sync asks for more than the grant allows (a database it does not name, or `write` it does not give). */
  PERMISSION_DENIED: 'WEFT_PERMISSION_DENIED',
  /** The audit trail does not verify: a record was removed, altered or reordered. */
  AUDIT_TAMPERED: 'WEFT_AUDIT_TAMPERED',
  /** A relationship's partner failed or could not be reached; the orchestrator retries it with backoff. */
  PARTNER_UNAVAILABLE: 'WEFT_PARTNER_UNAVAILABLE',
  /** A sync protocol message is malformed, of an unknown version, or out of place. */
  PROTOCOL: 'WEFT_PROTOCOL',
  /** A server request carries no credentials, or unknown or expired ones (HTTP 401). */
  UNAUTHORIZED: 'WEFT_UNAUTHORIZED',
  /** Valid credentials that may not do this: a revoked key, another tenant, a non-admin registration (HTTP 403). */
  FORBIDDEN: 'WEFT_FORBIDDEN',
  /**
   * Creating a tenant on this server needs an operator-issued registration token, and the
   * registration carried none or an unknown one (HTTP 403).
   */
  REGISTRATION_CLOSED: 'WEFT_REGISTRATION_CLOSED',
  /** The server holds as many tenants as its operator allows: no new tenant is created (HTTP 507). */
  SERVER_FULL: 'WEFT_SERVER_FULL',
  /** A client sent more requests per second than the server allows; retry later (HTTP 429). */
  RATE_LIMITED: 'WEFT_RATE_LIMITED',
  /** A request body is over the server's size limit (HTTP 413). */
  PAYLOAD_TOO_LARGE: 'WEFT_PAYLOAD_TOO_LARGE',
  /**
   * A message asks for more work than one message may (a reconciliation message that could take
   * more range reads than `RECONCILE_LIMITS.maxRangeReadsPerMessage`): nothing of it was done (HTTP 400).
   */
  WORK_LIMIT: 'WEFT_WORK_LIMIT',
  /** The tenant named by a request's path, subdomain, header and token do not agree (HTTP 400). */
  TENANT_MISMATCH: 'WEFT_TENANT_MISMATCH',
  /**
   * The tenant is suspended (or being deleted) by the server's operator: every operation of its
   * members is refused and its open sockets are closed; its data is kept (HTTP 403).
   */
  TENANT_SUSPENDED: 'WEFT_TENANT_SUSPENDED',
  /** The tenant's status does not allow this lifecycle step, e.g. resuming a tenant being deleted (HTTP 409). */
  TENANT_STATE: 'WEFT_TENANT_STATE',
  /**
   * The tenant is held while the server's operator moves it to another isolation model: every
   * operation of its members is refused for now and its open sockets are closed; retry after the
   * `Retry-After` seconds (HTTP 503).
   */
  TENANT_MOVING: 'WEFT_TENANT_MOVING',
  /**
   * A move of a tenant to another isolation model is refused: the tenant's configuration (or the
   * server's default) does not allow a move to that model, or the server's storage cannot move
   * tenants (only PostgreSQL under hybrid isolation can). Nothing changed (HTTP 409).
   */
  MOVE_NOT_ALLOWED: 'WEFT_MOVE_NOT_ALLOWED',
  /** A server feature the tenant's feature flags switch off (live push, mailbox) (HTTP 403). */
  FEATURE_DISABLED: 'WEFT_FEATURE_DISABLED',
  /** The server could not be reached, or the connection dropped before an answer. */
  NETWORK: 'WEFT_NETWORK',
  /** The server failed while handling a request (HTTP 5xx). */
  SERVER_ERROR: 'WEFT_SERVER_ERROR',
  /**
   * A tenant directory record is refused: malformed, its signature does not verify, or it was not
   * signed by a device whose user is an admin when the directory reaches it.
   */
  MEMBER_RECORD_REFUSED: 'WEFT_MEMBER_RECORD_REFUSED',
  /** Only a device of an admin may change the tenant directory (roles, devices, join approvals, recovery kits). */
  NOT_ADMIN: 'WEFT_NOT_ADMIN',
  /** This device may not write: by the tenant directory it holds, its user is a reader or it was removed. */
  READ_ONLY: 'WEFT_READ_ONLY',
  /** No such user or device in the tenant directory. */
  MEMBER_NOT_FOUND: 'WEFT_MEMBER_NOT_FOUND',
  /** A join request or join response does not parse, its signature does not verify, or it does not match. */
  BAD_JOIN_REQUEST: 'WEFT_BAD_JOIN_REQUEST',
  /** A join request was already approved, or its response already used: a join secret works once. */
  JOIN_REPLAYED: 'WEFT_JOIN_REPLAYED',
  /** A recovery code is malformed, or no recovery kit made with it is in the store given. */
  BAD_RECOVERY_CODE: 'WEFT_BAD_RECOVERY_CODE',
  /** A presence message does not parse, is over its size limit, or names another tenant or scope. */
  BAD_PRESENCE: 'WEFT_BAD_PRESENCE',
  /**
   * A presence message is older than one already taken from its sender, or older than the
   * presence timeout: a replay (by a relay, say) is ignored.
   */
  PRESENCE_STALE: 'WEFT_PRESENCE_STALE',
} as const

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes]

/** Base class of every Weft error. */
export class WeftError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = 'WeftError'
  }
}

/** True when `err` is a {@link WeftError}, optionally with the given code. */
export function isWeftError(err: unknown, code?: ErrorCode): err is WeftError {
  return err instanceof WeftError && (code === undefined || err.code === code)
}

/** Wraps anything thrown into a {@link WeftError}, keeping Weft errors as they are. */
export function toWeftError(err: unknown, fallback: ErrorCode): WeftError {
  if (err instanceof WeftError) return err
  const message = err instanceof Error ? err.message : String(err)
  return new WeftError(fallback, message, { cause: err })
}
