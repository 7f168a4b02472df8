import {
  checkReconcileMessage,
  ErrorCodes,
  isChangeHash,
  isDocId,
  WeftError,
  type ChangeHash,
  type Cursor,
  type DocId,
  type HashRange,
  type ReconcileMessage,
} from '@weft/core/backend'
import type { DbOp, ProtocolLimits } from './constants.ts'
import { bad, cursorField, fieldsOf, hashListField, limitField, rangeField } from './parseFields.ts'

/**
 * One pushed entry as parsed: well formed (`bytes` set) or refused on its own (`problem`), so that
 * one bad entry never blocks the rest (`WEFT_MALFORMED_ENTRY`). `hash` is what the client sent, for its result.
 */
export type PushItem =
  { readonly hash: ChangeHash; readonly bytes: Uint8Array } | { readonly hash: string; readonly problem: string }

/** The checked body of each database operation. */
export interface DbRequests {
  push: { entries: PushItem[] }
  has: { hashes: ChangeHash[] }
  get: { hashes: ChangeHash[] }
  scan: { since: Cursor | null; limit: number }
  head: Record<never, never>
  fingerprint: { range: HashRange }
  range: { range: HashRange; limit: number }
  reconcile: { message: ReconcileMessage }
  'doc-hashes': { docId: DocId }
  order: { hashes: ChangeHash[]; since: Cursor | null }
}

/** A database operation with its checked body. */
export type DbRequest = { [Op in DbOp]: { readonly op: Op } & DbRequests[Op] }[DbOp]

/** Most entries one `scan` returns when the client names no limit. */
const DEFAULT_SCAN = 1_000

/**
 * Checks the decoded body of database operation `op` (shape, sizes, counts) and returns it typed.
 * `WEFT_PROTOCOL` for anything malformed, `WEFT_TOO_MANY_ENTRIES` for lists over their limits.
 */
export function parseDbRequest(op: DbOp, body: unknown, limits: ProtocolLimits): DbRequest {
  const b = fieldsOf(body)
  switch (op) {
    case 'push':
      return { op, entries: pushItems(b.entries, limits) }
    case 'has':
    case 'get':
      return { op, hashes: hashListField(b.hashes, limits) }
    case 'scan':
      return {
        op,
        since: cursorField(b.since),
        limit: limitField(b.limit, 'limit', DEFAULT_SCAN, limits.maxHashesPerRequest),
      }
    case 'head':
      return { op }
    case 'fingerprint':
      return { op, range: rangeField(b.range) }
    case 'range':
      return {
        op,
        range: rangeField(b.range),
        limit: limitField(b.limit, 'limit', limits.maxHashesPerRequest, limits.maxHashesPerRequest),
      }
    case 'reconcile':
      return { op, message: checkReconcileMessage(b.message) }
    case 'doc-hashes':
      if (!isDocId(b.docId)) throw bad('docId must be 32 lowercase hex characters')
      return { op, docId: b.docId }
    case 'order':
      return { op, hashes: hashListField(b.hashes, limits), since: cursorField(b.since) }
    default:
      throw bad(`no such database operation: ${String(op)}`)
  }
}

function pushItems(raw: unknown, limits: ProtocolLimits): PushItem[] {
  if (!Array.isArray(raw)) throw bad('entries must be a list')
  if (raw.length > limits.maxEntriesPerRequest) {
    throw new WeftError(
      ErrorCodes.TOO_MANY_ENTRIES,
      `${raw.length} entries in one push; the limit is ${limits.maxEntriesPerRequest}`,
    )
  }
  // Sizes and contents are the entry parser's to judge (WEFT_ENTRY_TOO_LARGE, WEFT_MALFORMED_ENTRY), entry by entry.
  return raw.map((e: unknown): PushItem => {
    const item = e !== null && typeof e === 'object' && !Array.isArray(e) ? (e as Record<string, unknown>) : {}
    const hash = item.hash
    if (!isChangeHash(hash))
      return {
        hash: typeof hash === 'string' && hash.length <= 128 ? hash : '',
        problem: 'an entry is { hash, bytes } with a 64-character hex hash',
      }
    if (!(item.bytes instanceof Uint8Array)) return { hash, problem: 'an entry is { hash, bytes }' }
    return { hash, bytes: item.bytes }
  })
}
