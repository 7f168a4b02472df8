import {
  ByteReader,
  canonicalTextProblem,
  CodecError,
  fromHex,
  RecentText,
  strictUtf8,
  toHex,
  utf8,
  type ByteWriter,
} from '../codec/index.ts'
import { NONCE_BYTES } from '../crypto/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import {
  asChangeHash,
  asDbName,
  asDocId,
  asKeyId,
  asTenantId,
  type ChangeHash,
  type DocId,
  type EntryKind,
  type KeyId,
  type Origin,
} from '../types.ts'
import { FIELD_LIMITS, type EntryLimits } from './limits.ts'

/** Format version written by this build. */
export const ENTRY_VERSION = 1
const MAGIC = [0x57, 0x46] // "WF"

const KIND_CODES: Record<EntryKind, number> = { create: 1, change: 2, delete: 3, snapshot: 4, chunk: 5 }
const KINDS: Record<number, EntryKind> = { 1: 'create', 2: 'change', 3: 'delete', 4: 'snapshot', 5: 'chunk' }

/** The signed metadata of an entry; its canonical bytes are also the AEAD associated data. */
export interface EntryHeader {
  readonly v: number
  readonly kind: EntryKind
  readonly docId: DocId
  readonly origin: Origin
  /** Hashes of the document's head entries this one follows, ascending, no repeats. */
  readonly deps: readonly ChangeHash[]
  readonly keyId: KeyId
  readonly keyVersion: number
  /** Ed25519 public key of the signer. */
  readonly author: Uint8Array
  /** Author's clock in ms since the epoch; informational only. */
  readonly createdAt: number
  readonly nonce: Uint8Array
}

/**
 * Writes the canonical header bytes. Deps are sorted here so equal headers encode equally. The
 * name fields (origin tenant and database, key id) must be canonical text (see
 * {@link canonicalTextProblem}) within the format's byte limits: anything else is refused with `WEFT_MALFORMED_ENTRY` here, as a
 * reader would refuse it.
 */
export function writeHeader(w: ByteWriter, h: EntryHeader): void {
  const names = [
    ['origin tenant', h.origin.tenant, FIELD_LIMITS.tenantBytes],
    ['origin database', h.origin.db, FIELD_LIMITS.dbBytes],
    ['key id', h.keyId, FIELD_LIMITS.keyIdBytes],
  ] as const
  for (const [field, text, maxBytes] of names) {
    const problem = text.length === 0 ? 'an empty name' : canonicalTextProblem(text)
    if (problem) throw new WeftError(ErrorCodes.MALFORMED_ENTRY, `entry ${field} has ${problem}`)
    if (utf8(text).length > maxBytes)
      throw new WeftError(ErrorCodes.MALFORMED_ENTRY, `entry ${field} is over ${maxBytes} bytes`)
  }
  w.u8(MAGIC[0]!).u8(MAGIC[1]!).u8(h.v).u8(KIND_CODES[h.kind])
  w.fixed(fromHex(h.docId))
  w.string(h.origin.tenant).string(h.origin.db)
  const deps = [...new Set(h.deps)].sort()
  w.varint(deps.length)
  for (const d of deps) w.fixed(fromHex(d))
  w.string(h.keyId).varint(h.keyVersion)
  w.fixed(h.author).varint(h.createdAt).fixed(h.nonce)
}

/** Reads a header from untrusted bytes; every failure is a typed {@link WeftError}. */
export function readHeader(r: ByteReader, limits: EntryLimits): EntryHeader {
  try {
    if (r.u8() !== MAGIC[0] || r.u8() !== MAGIC[1]) throw new CodecError('malformed', 'not a Weft entry')
    const v = r.u8()
    if (v !== ENTRY_VERSION) throw new WeftError(ErrorCodes.UNSUPPORTED_VERSION, `entry format v${v} is not supported`)
    const kind = KINDS[r.u8()]
    if (!kind) throw new CodecError('malformed', 'unknown entry kind')
    const docId = asDocId(toHex(r.fixed(16)))
    const origin = {
      tenant: asTenantId(name(r, FIELD_LIMITS.tenantBytes, recentTenant)),
      db: asDbName(name(r, FIELD_LIMITS.dbBytes, recentDb)),
    }
    const depCount = r.varint(limits.maxDeps)
    const deps: ChangeHash[] = []
    for (let i = 0; i < depCount; i++) {
      const d = toHex(r.fixed(32))
      if (i > 0 && d <= deps[i - 1]!) throw new CodecError('malformed', 'deps not strictly ascending')
      deps.push(asChangeHash(d))
    }
    const keyId = asKeyId(name(r, FIELD_LIMITS.keyIdBytes, recentKeyId))
    const keyVersion = r.varint()
    if (keyVersion < 1) throw new CodecError('malformed', 'key version 0')
    const author = r.fixed(32)
    const createdAt = r.varint()
    const nonce = r.fixed(NONCE_BYTES)
    return { v, kind, docId, origin, deps, keyId, keyVersion, author, createdAt, nonce }
  } catch (err) {
    throw codecToWeft(err)
  }
}

/**
 * The author key of an entry, read by walking its header without decoding it: for a server that
 * decides who may push an entry before its store checks the whole of it. Bounds are checked as in
 * {@link readHeader} (the size limit first, then each field's length); whatever it does not look
 * at (the names' text, the order of deps, the body, the signature) the full check refuses later.
 * Throws `WEFT_ENTRY_TOO_LARGE`, `WEFT_UNSUPPORTED_VERSION` or `WEFT_MALFORMED_ENTRY`.
 */
export function readEntryAuthor(bytes: Uint8Array, limits: EntryLimits): Uint8Array {
  if (bytes.length > limits.maxEntryBytes)
    throw new WeftError(
      ErrorCodes.ENTRY_TOO_LARGE,
      `entry of ${bytes.length} bytes is over the ${limits.maxEntryBytes} limit`,
    )
  const r = new ByteReader(bytes)
  try {
    if (r.u8() !== MAGIC[0] || r.u8() !== MAGIC[1]) throw new CodecError('malformed', 'not a Weft entry')
    const v = r.u8()
    if (v !== ENTRY_VERSION) throw new WeftError(ErrorCodes.UNSUPPORTED_VERSION, `entry format v${v} is not supported`)
    if (!KINDS[r.u8()]) throw new CodecError('malformed', 'unknown entry kind')
    r.skip(16)
    r.skip(r.varint(FIELD_LIMITS.tenantBytes))
    r.skip(r.varint(FIELD_LIMITS.dbBytes))
    r.skip(32 * r.varint(limits.maxDeps))
    r.skip(r.varint(FIELD_LIMITS.keyIdBytes))
    if (r.varint() < 1) throw new CodecError('malformed', 'key version 0')
    return r.fixed(32)
  } catch (err) {
    throw codecToWeft(err)
  }
}

// The name fields of the entry last read: a batch's entries mostly repeat them, so each is decoded
// and checked once per run of equal bytes.
const recentTenant = new RecentText()
const recentDb = new RecentText()
const recentKeyId = new RecentText()

/** A name field: valid UTF-8, non-empty, canonical text; the same bytes a writer would produce. */
function name(r: ByteReader, maxBytes: number, recent: RecentText): string {
  return recent.of(r.bytes(maxBytes), checkedName)
}

function checkedName(raw: Uint8Array): string {
  const s = strictUtf8(raw)
  if (s.length === 0) throw new CodecError('malformed', 'empty name')
  const problem = canonicalTextProblem(s)
  if (problem) throw new CodecError('malformed', `name with ${problem}`)
  return s
}

/** Maps a codec failure to the entry error codes. */
export function codecToWeft(err: unknown): unknown {
  if (!(err instanceof CodecError)) return err
  const code = err.failure === 'too-large' ? ErrorCodes.ENTRY_TOO_LARGE : ErrorCodes.MALFORMED_ENTRY
  return new WeftError(code, `malformed entry: ${err.message}`, { cause: err })
}
