import { fromHex, packValue, toHex, unpackValue } from '../codec/index.ts'
import { ErrorCodes, WeftError, type ErrorCode } from '../errors.ts'
import { asChangeHash, asDbName, asDocId, asKeyId, type ChangeHash, type Cursor, type Origin } from '../types.ts'
import { DocState } from './DocState.ts'

/**
 * What a database's persisted index holds, in one stored value (the base or a delta): the store
 * position every entry up to which the documents reflect, the trust digest they were materialised
 * under, and a summary per document.
 */
export interface IndexPayload {
  readonly cursor: Cursor | null
  readonly trust: string
  /** In a base: the last delta folded into it. */
  readonly upTo: number
  readonly docs: readonly DocState[]
}

/** Largest stored index value read back (a base of a few million documents). */
export const MAX_INDEX_BYTES = 1 << 30

const READABLE = 1
const DELETED = 2
const HASH_BYTES = 32

type Row = [
  id: string,
  originTenant: string | null,
  originDb: string | null,
  keyId: string | null,
  writeKey: string | null,
  flags: number,
  heads: Uint8Array,
  pending: Uint8Array,
  pendingCodes: string[],
  missing: Uint8Array,
  snapshot: Uint8Array | null,
]

/** The summary row of a document (own origin stored as null: most documents have it). */
function toRow(s: DocState, own: Origin): Row {
  const isOwn = s.origin?.tenant === own.tenant && s.origin.db === own.db
  return [
    s.id,
    s.origin && !isOwn ? s.origin.tenant : null,
    s.origin && !isOwn ? s.origin.db : isOwn ? '' : null,
    s.keyId ?? null,
    s.writeKey ?? null,
    (s.readable ? READABLE : 0) | (s.deleted ? DELETED : 0),
    packHashes(s.heads),
    packHashes(s.pending.keys()),
    [...s.pending.values()],
    packHashes(s.missing()),
    s.snapshot ? fromHex(s.snapshot) : null,
  ]
}

function fromRow(r: unknown, own: Origin): DocState {
  if (!Array.isArray(r) || r.length !== 11) throw bad('a document row')
  const [id, oTenant, oDb, keyId, writeKey, flags, heads, pending, codes, missing, snapshot] = r as Row
  if (typeof id !== 'string' || typeof flags !== 'number' || !Array.isArray(codes)) throw bad('a document row')
  const s = new DocState(asDocId(id), false)
  if (oDb === '') s.origin = own
  else if (typeof oTenant === 'string' && typeof oDb === 'string')
    s.origin = { tenant: oTenant as Origin['tenant'], db: asDbName(oDb) }
  if (keyId !== null) s.keyId = asKeyId(String(keyId))
  if (writeKey !== null) s.writeKey = asKeyId(String(writeKey))
  s.deleted = (flags & DELETED) !== 0
  s.heads = new Set(unpackHashes(heads))
  const held = unpackHashes(pending)
  if (held.length !== codes.length || codes.some((c) => typeof c !== 'string')) throw bad('held entries')
  held.forEach((h, i) => s.pending.set(h, codes[i] as ErrorCode))
  s.setSummary((flags & READABLE) !== 0, unpackHashes(missing))
  if (snapshot !== null) s.snapshot = unpackHashes(snapshot)[0]
  return s
}

export function encodeIndexPayload(p: IndexPayload, own: Origin): Uint8Array {
  return packValue({
    v: 1,
    cursor: p.cursor,
    trust: p.trust,
    upTo: p.upTo,
    docs: p.docs.map((s) => toRow(s, own)),
  })
}

/** Parses a stored index value; `WEFT_MALFORMED_ENTRY` when it is not one (the index is then rebuilt). */
export function decodeIndexPayload(bytes: Uint8Array, own: Origin): IndexPayload {
  const v = unpackValue<Record<string, unknown>>(bytes, MAX_INDEX_BYTES)
  if (v?.v !== 1 || typeof v.trust !== 'string' || typeof v.upTo !== 'number' || !Array.isArray(v.docs))
    throw bad('an index value')
  return {
    cursor: parseCursor(v.cursor),
    trust: v.trust,
    upTo: v.upTo,
    docs: v.docs.map((r) => fromRow(r, own)),
  }
}

function parseCursor(c: unknown): Cursor | null {
  if (c === null || c === undefined) return null
  const o = c as Record<string, unknown>
  if (typeof o.epoch !== 'string' || typeof o.seq !== 'number' || (o.at !== undefined && typeof o.at !== 'string'))
    throw bad('a cursor')
  return o.at === undefined ? { epoch: o.epoch, seq: o.seq } : { epoch: o.epoch, seq: o.seq, at: o.at }
}

function packHashes(list: Iterable<ChangeHash>): Uint8Array {
  const all = [...list]
  const out = new Uint8Array(all.length * HASH_BYTES)
  all.forEach((h, i) => out.set(fromHex(h), i * HASH_BYTES))
  return out
}

function unpackHashes(bytes: unknown): ChangeHash[] {
  if (!(bytes instanceof Uint8Array) || bytes.length % HASH_BYTES !== 0) throw bad('a hash list')
  const text = toHex(bytes)
  const out: ChangeHash[] = []
  for (let i = 0; i < text.length; i += HASH_BYTES * 2) out.push(asChangeHash(text.slice(i, i + HASH_BYTES * 2)))
  return out
}

function bad(what: string): WeftError {
  return new WeftError(ErrorCodes.MALFORMED_ENTRY, `the database index holds ${what} that does not parse`)
}
