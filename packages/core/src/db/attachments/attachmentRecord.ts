import { ByteReader, ByteWriter, CodecError, fromHex, toHex } from '../../codec/index.ts'
import { ErrorCodes, WeftError } from '../../errors.ts'
import { asChangeHash, type ChangeHash } from '../../types.ts'
import { MAX_CHUNK_BYTES } from './fastcdc.ts'

/** One chunk of an attachment as its document records it. */
export interface ChunkRef {
  /** The chunk entry's content address: BLAKE2b-256 of its encrypted, signed bytes. */
  readonly hash: ChangeHash
  /** Plaintext bytes in the chunk. */
  readonly length: number
  /**
   * Keyed tag of the plaintext (BLAKE2b under the document's key): lets a writer holding the key
   * find a chunk it already stored. Inside the encrypted document only; never an address.
   */
  readonly tag: Uint8Array
}

/** What a document records of one attachment. */
export interface AttachmentRecord {
  /** Media type, as the writer gave it (`application/octet-stream` by default). */
  readonly type: string
  /** Plaintext bytes in all. */
  readonly size: number
  readonly chunks: readonly ChunkRef[]
}

const RECORD_VERSION = 1
const TAG_BYTES = 16
/** Longest media type, in UTF-8 bytes. */
export const MAX_TYPE_BYTES = 255
/** Most chunks one attachment may have: 2^20, 64 GiB at the default average chunk size. */
export const MAX_CHUNKS = 1 << 20

/** Encodes a record: the versioned bytes a document stores under the attachment's name. */
export function encodeAttachmentRecord(record: AttachmentRecord): Uint8Array {
  const w = new ByteWriter(32 + record.chunks.length * 52)
  w.u8(RECORD_VERSION).string(record.type).varint(record.size).varint(record.chunks.length)
  for (const c of record.chunks) w.fixed(fromHex(c.hash)).varint(c.length).fixed(c.tag)
  return w.finish()
}

/**
 * Parses a record read from a document (written by any trusted writer, so checked like input):
 * bounded counts and lengths, sizes that add up, no trailing bytes. `WEFT_MALFORMED_ATTACHMENT`.
 */
export function parseAttachmentRecord(bytes: unknown): AttachmentRecord {
  if (!(bytes instanceof Uint8Array))
    throw new WeftError(ErrorCodes.MALFORMED_ATTACHMENT, 'an attachment record must be bytes')
  try {
    const r = new ByteReader(bytes)
    const v = r.u8()
    if (v !== RECORD_VERSION) throw new CodecError('malformed', `attachment record v${v}`)
    const type = r.string(MAX_TYPE_BYTES)
    const size = r.varint()
    const count = r.varint(MAX_CHUNKS)
    if (r.remaining < count * (32 + 1 + TAG_BYTES)) throw new CodecError('malformed', 'record shorter than its count')
    const chunks: ChunkRef[] = []
    let total = 0
    for (let i = 0; i < count; i++) {
      const hash = asChangeHash(toHex(r.fixed(32)))
      const length = r.varint(MAX_CHUNK_BYTES)
      if (length === 0) throw new CodecError('malformed', 'empty chunk')
      chunks.push({ hash, length, tag: r.fixed(TAG_BYTES) })
      total += length
    }
    r.end()
    if (total !== size) throw new CodecError('malformed', `chunks hold ${total} bytes, the record says ${size}`)
    return { type, size, chunks }
  } catch (err) {
    if (err instanceof WeftError) throw err
    throw new WeftError(
      ErrorCodes.MALFORMED_ATTACHMENT,
      `attachment record does not parse: ${(err as Error).message}`,
      {
        cause: err,
      },
    )
  }
}

export { TAG_BYTES }
