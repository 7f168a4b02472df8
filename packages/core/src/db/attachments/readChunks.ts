import { throwIfAborted } from '../../abort.ts'
import { decryptEntryWithKey, findEntryKey, verifyEntry, type EntryEnvelope } from '../../entries/index.ts'
import { ErrorCodes, toWeftError, WeftError } from '../../errors.ts'
import type { KeyBag } from '../../keys/index.ts'
import type { ChangeStore } from '../../store/index.ts'
import type { ChangeHash, DocId } from '../../types.ts'
import type { AttachmentRecord, ChunkRef } from './attachmentRecord.ts'

/** Chunks read (and fetched) per step, and the most bytes of them held at once. */
const GROUP_CHUNKS = 16
const GROUP_BYTES = 1024 * 1024

/** Where a document's chunks are read from. */
export interface ChunkReadContext {
  readonly docId: DocId
  /** The database's own store: read first, and where fetched chunks are kept. */
  readonly store: ChangeStore
  readonly keyBag: KeyBag
  /** Stores to fetch chunks the local store lacks from, in order (a lazily synced database's sources). */
  readonly sources: () => readonly ChangeStore[]
}

/** A byte range: `start` inclusive, `end` exclusive, both clamped to the attachment. */
export interface ByteRange {
  readonly start?: number
  readonly end?: number
}

/**
 * Reads the plaintext of `range` chunk by chunk, a few chunks at a time: those the local store
 * lacks are fetched from the sources and kept locally (so a read cut short resumes where it
 * stopped), each one is checked against the record (its hash is the address the document names,
 * it belongs to this document, it opens under a held key, its length matches) and decrypted.
 */
export async function* readChunks(
  ctx: ChunkReadContext,
  record: AttachmentRecord,
  range: ByteRange = {},
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const start = clamp(range.start ?? 0, record.size)
  const end = clamp(range.end ?? record.size, record.size)
  if (end <= start) return
  // Chunks overlapping [start, end), with the offset each begins at.
  const wanted: { ref: ChunkRef; offset: number }[] = []
  let offset = 0
  for (const ref of record.chunks) {
    if (offset + ref.length > start && offset < end) wanted.push({ ref, offset })
    offset += ref.length
    if (offset >= end) break
  }
  for (let i = 0; i < wanted.length;) {
    throwIfAborted(signal, 'attachment read')
    const group: typeof wanted = []
    let bytes = 0
    while (i < wanted.length && group.length < GROUP_CHUNKS && (group.length === 0 || bytes < GROUP_BYTES)) {
      bytes += wanted[i]!.ref.length
      group.push(wanted[i++]!)
    }
    const envelopes = await fetchChunks(ctx, [...new Set(group.map((g) => g.ref.hash))])
    for (const { ref, offset: at } of group) {
      const plaintext = openChunk(ctx, ref, envelopes.get(ref.hash)!)
      yield plaintext.subarray(Math.max(0, start - at), Math.min(ref.length, end - at))
    }
  }
}

function clamp(n: number, size: number): number {
  if (!Number.isFinite(n)) return n > 0 ? size : 0
  return Math.min(size, Math.max(0, Math.floor(n)))
}

/**
 * The chunk entries named, from the local store or else from the sources (kept locally once the
 * local store, which verifies every append, accepts them). Throws the refusal of a chunk a source
 * served tampered (`WEFT_HASH_MISMATCH`, `WEFT_BAD_SIGNATURE`, ...), or `WEFT_ATTACHMENT_UNAVAILABLE`.
 */
async function fetchChunks(ctx: ChunkReadContext, hashes: ChangeHash[]): Promise<Map<ChangeHash, EntryEnvelope>> {
  const found = new Map<ChangeHash, EntryEnvelope>()
  for (const e of await ctx.store.getChanges(hashes)) found.set(e.hash, e)
  const refusals = new Map<ChangeHash, WeftError>()
  for (const source of ctx.sources()) {
    const missing = hashes.filter((h) => !found.has(h))
    if (missing.length === 0) break
    let read: { entries: EntryEnvelope[]; rejected: { hash: ChangeHash; error: WeftError }[] }
    try {
      read = source.getChangesChecked
        ? await source.getChangesChecked(missing)
        : { entries: await source.getChanges(missing), rejected: [] }
    } catch (err) {
      for (const h of missing) refusals.set(h, toWeftError(err, ErrorCodes.ATTACHMENT_UNAVAILABLE))
      continue
    }
    for (const r of read.rejected) refusals.set(r.hash, r.error)
    const asked = new Set(missing)
    const entries = read.entries.filter((e) => asked.has(e.hash))
    if (entries.length === 0) continue
    const result = await ctx.store.appendMany(entries)
    for (const r of result.rejected) refusals.set(r.hash, r.error)
    const kept = new Set([...result.added, ...result.existing])
    for (const e of entries) if (kept.has(e.hash)) found.set(e.hash, e)
  }
  for (const h of hashes) {
    if (found.has(h)) continue
    throw (
      refusals.get(h) ??
      new WeftError(
        ErrorCodes.ATTACHMENT_UNAVAILABLE,
        `chunk ${h} of document ${ctx.docId} is not held here and no source has it`,
      )
    )
  }
  return found
}

/** Checks one chunk entry against its reference and decrypts it. */
function openChunk(ctx: ChunkReadContext, ref: ChunkRef, envelope: EntryEnvelope): Uint8Array {
  // The document (signed, trusted) names the chunk by the hash of its bytes: matching it is what
  // makes the chunk authentic, whoever served it. The signature was checked when it was stored.
  const entry = verifyEntry(ref.hash, envelope.bytes, undefined, { signature: false })
  if (entry.header.kind !== 'chunk' || entry.header.docId !== ctx.docId)
    throw new WeftError(ErrorCodes.MALFORMED_ATTACHMENT, `entry ${ref.hash} is not a chunk of document ${ctx.docId}`)
  const key = findEntryKey(entry, ctx.keyBag)
  if (!key)
    throw new WeftError(
      ErrorCodes.KEY_NOT_FOUND,
      `no held key opens chunk ${ref.hash} (${entry.header.keyId} v${entry.header.keyVersion})`,
    )
  const plaintext = decryptEntryWithKey(entry, key.key)
  if (plaintext.length !== ref.length)
    throw new WeftError(
      ErrorCodes.MALFORMED_ATTACHMENT,
      `chunk ${ref.hash} holds ${plaintext.length} bytes, the record says ${ref.length}`,
    )
  return plaintext
}
