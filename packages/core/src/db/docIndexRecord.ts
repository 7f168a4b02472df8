import { fromHex, packValue, toHex, unpackValue } from '../codec/index.ts'
import { ErrorCodes, WeftError, type ErrorCode } from '../errors.ts'
import {
  asChangeHash,
  asDbName,
  asDocId,
  asKeyId,
  type ChangeHash,
  type Cursor,
  type DocId,
  type Origin,
} from '../types.ts'
import { DocState } from './DocState.ts'
import type { HeldEntry } from './MaterialiseReport.ts'

/**
 * The header of a database's persisted index, one small stored value read at open: the store
 * position every entry up to which the summaries reflect, the trust digest they were made under,
 * how many documents have a summary, and the exceptions a database must know without reading any
 * summary: entries held back (locked or untrusted, retried when a key or partner arrives) and
 * documents with gaps. Both are empty unless keys, partners or entries are missing.
 */
export interface IndexHeader {
  readonly cursor: Cursor | null
  readonly trust: string
  readonly documents: number
  readonly held: readonly HeldEntry[]
  readonly gaps: ReadonlyMap<DocId, readonly ChangeHash[]>
}

/** Largest stored index value read back (a header with a few hundred thousand held entries). */
export const MAX_INDEX_BYTES = 1 << 28

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

/** One document's summary, as stored under its own key. */
export function encodeSummary(s: DocState, own: Origin): Uint8Array {
  return packValue(toRow(s, own))
}

/** Parses a stored summary; `WEFT_MALFORMED_ENTRY` when it is not one. */
export function decodeSummary(bytes: Uint8Array, own: Origin): DocState {
  return fromRow(unpackValue<unknown>(bytes, MAX_INDEX_BYTES), own)
}

export function encodeHeader(h: IndexHeader): Uint8Array {
  return packValue({
    v: 2,
    cursor: h.cursor,
    trust: h.trust,
    documents: h.documents,
    held: h.held.map((e) => [fromHex(e.hash), e.docId, e.code]),
    gaps: [...h.gaps].map(([id, hashes]) => [id, packHashes(hashes)]),
  })
}

/** Parses a stored header; `WEFT_MALFORMED_ENTRY` when it is not one (the index is then rebuilt). */
export function decodeHeader(bytes: Uint8Array): IndexHeader {
  const v = unpackValue<Record<string, unknown>>(bytes, MAX_INDEX_BYTES)
  if (
    v?.v !== 2 ||
    typeof v.trust !== 'string' ||
    !Number.isSafeInteger(v.documents) ||
    !Array.isArray(v.held) ||
    !Array.isArray(v.gaps)
  )
    throw bad('a header')
  const held = v.held.map((e: unknown): HeldEntry => {
    if (!Array.isArray(e) || e.length !== 3 || typeof e[1] !== 'string' || typeof e[2] !== 'string')
      throw bad('a held entry')
    const [hash] = unpackHashes(e[0])
    if (!hash || unpackHashes(e[0]).length !== 1) throw bad('a held entry')
    return { hash, docId: asDocId(e[1]), code: e[2] as ErrorCode }
  })
  const gaps = new Map<DocId, ChangeHash[]>()
  for (const g of v.gaps) {
    if (!Array.isArray(g) || g.length !== 2 || typeof g[0] !== 'string') throw bad('a gap list')
    gaps.set(asDocId(g[0]), unpackHashes(g[1]))
  }
  return { cursor: parseCursor(v.cursor), trust: v.trust, documents: v.documents as number, held, gaps }
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
