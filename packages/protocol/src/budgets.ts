import { BRANCHES, RECONCILE_LIMITS } from '@weft/core/backend'
import { MAIL_LIMITS, type DbOp, type MailOp, type ProtocolLimits, type TenantOp } from './constants.ts'
import type { DecodeBudget } from './measureMessagePack.ts'

/** Largest body of an operation that comes before signing in (`register`, `directory`, `challenge`, `session`, …). */
export const MAX_PRE_AUTH_BODY_BYTES = 64 * 1024

/** Largest WebSocket message a client sends. */
export const MAX_SOCKET_MESSAGE_BYTES = 64 * 1024

/** Keys a registration may name at most (admin, add, revoke and authors together). */
export const MAX_REGISTRATION_KEYS = 1_001

/** Directory records one `directory` request may carry at most. */
export const MAX_DIRECTORY_RECORDS_PER_REQUEST = 256

/** Every message kind that has a decode budget: an HTTP operation, or a client's socket message. */
export type MessageKind = TenantOp | DbOp | `mail/${MailOp}` | 'socket'

const small = (maxElements: number, maxDepth: number): DecodeBudget => ({
  maxElements,
  maxDepth,
  maxDecodedBytes: 1024 * 1024,
})

/**
 * What decoding one message of `kind` may cost, from the protocol limits: a request that names a
 * few fields gets a few dozen values; a push gets a handful per entry; a reconciliation message
 * as many as its item limit allows. Memory is bounded by the body size plus the estimated cost of
 * its values, never by what the values declare.
 */
export function decodeBudget(kind: MessageKind, limits: ProtocolLimits): DecodeBudget {
  switch (kind) {
    case 'register':
      return { maxElements: 64 + MAX_REGISTRATION_KEYS, maxDepth: 3, maxDecodedBytes: 2 * 1024 * 1024 }
    case 'directory':
      // { records: [string, …] }: one value a record.
      return small(16 + MAX_DIRECTORY_RECORDS_PER_REQUEST, 3)
    case 'push':
      // { entries: [{ hash, bytes }, …] }: five values an entry, plus a few.
      return {
        maxElements: 16 + 5 * limits.maxEntriesPerRequest,
        maxDepth: 3,
        maxDecodedBytes: 2 * limits.maxBodyBytes,
      }
    case 'reconcile': {
      // { message: { v, items: [{ t, p, n: [16], fp, … }, …] } }
      const perItem = 2 * 5 + BRANCHES + 1
      return {
        maxElements: 16 + perItem * RECONCILE_LIMITS.maxItems,
        maxDepth: 5,
        maxDecodedBytes: 2 * limits.maxBodyBytes,
      }
    }
    case 'socket':
      return small(32, 3)
    case 'mail/delete':
      // { seqs: [n, …] }: one value a message number.
      return small(16 + MAIL_LIMITS.maxDelete, 3)
    default:
      // Fixed fields, a cursor or a range at most: hash lists travel as one binary value.
      return { ...small(32, 3), maxDecodedBytes: 2 * limits.maxBodyBytes }
  }
}
