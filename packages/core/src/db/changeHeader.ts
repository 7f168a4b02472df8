import * as A from '@automerge/automerge'
import { toHex } from '../codec/index.ts'
import { sha256 } from '../crypto/index.ts'

/** What ordering Automerge changes needs of one: its hash and the hashes it depends on. */
export interface ChangeHeader {
  readonly hash: string
  readonly deps: readonly string[]
  readonly bytes: Uint8Array
}

const MAGIC = [0x85, 0x6f, 0x4a, 0x83] as const
/** Chunk type of an uncompressed change (Automerge binary format). */
const CHANGE_CHUNK = 1
const HASH_BYTES = 32

/**
 * Reads the hash and dependencies of an Automerge change from its bytes: the header of an
 * uncompressed change chunk is parsed directly (its hash is the SHA-256 of the chunk after magic
 * bytes and checksum), anything else goes through `Automerge.decodeChange`, which costs far more.
 * Returns undefined for bytes that are not a change: applying them fails, and the caller refuses them.
 */
export function readChangeHeader(bytes: Uint8Array): ChangeHeader | undefined {
  return readUncompressed(bytes) ?? decodeFully(bytes)
}

/**
 * Whether `bytes` are exactly one uncompressed change chunk (magic, type and stated length; the
 * checksum is left to Automerge). Cheap: nothing is hashed or decoded.
 */
export function isOneUncompressedChange(bytes: Uint8Array): boolean {
  return uncompressedBody(bytes) !== undefined
}

/** Where the body of exactly one uncompressed change chunk starts (after its length); undefined if `bytes` are not one. */
function uncompressedBody(bytes: Uint8Array): number | undefined {
  if (bytes.length < 9 || MAGIC.some((b, i) => bytes[i] !== b) || bytes[8] !== CHANGE_CHUNK) return undefined
  const at = { pos: 9 }
  const length = readUleb(bytes, at)
  return length !== undefined && at.pos + length === bytes.length ? at.pos : undefined
}

function readUncompressed(bytes: Uint8Array): ChangeHeader | undefined {
  const body = uncompressedBody(bytes)
  if (body === undefined) return undefined
  const at = { pos: body }
  const count = readUleb(bytes, at)
  if (count === undefined || count > (bytes.length - at.pos) / HASH_BYTES) return undefined
  const deps: string[] = []
  for (let i = 0; i < count; i++, at.pos += HASH_BYTES) deps.push(toHex(bytes.subarray(at.pos, at.pos + HASH_BYTES)))
  return { hash: toHex(sha256(bytes.subarray(8))), deps, bytes }
}

function decodeFully(bytes: Uint8Array): ChangeHeader | undefined {
  try {
    const { hash, deps } = A.decodeChange(bytes)
    return { hash, deps, bytes }
  } catch {
    return undefined
  }
}

/** An unsigned LEB128 of at most 32 bits at `at.pos`, advancing it; undefined if truncated or longer. */
function readUleb(bytes: Uint8Array, at: { pos: number }): number | undefined {
  let value = 0
  for (let shift = 0; shift < 35; shift += 7) {
    const b = bytes[at.pos++]
    if (b === undefined) return undefined
    value += (b & 0x7f) * 2 ** shift
    if ((b & 0x80) === 0) return value <= 0xffffffff ? value : undefined
  }
  return undefined
}

/** Chunk type of a whole document (what `Automerge.save` starts with). */
const DOCUMENT_CHUNK = 0

/**
 * Splits what `Automerge.save` wrote into its document chunk and the change chunks after it (the
 * changes a document held back for missing dependencies; Weft's snapshots carry its own that way).
 * Bytes it cannot split are returned whole as the document, for `Automerge.load` to judge.
 */
export function splitSave(bytes: Uint8Array): { readonly doc: Uint8Array; readonly changes: Uint8Array[] } {
  const whole = { doc: bytes, changes: [] }
  const docEnd = chunkEnd(bytes, 0, DOCUMENT_CHUNK)
  if (docEnd === undefined) return whole
  const changes: Uint8Array[] = []
  for (let pos = docEnd; pos < bytes.length;) {
    const end = chunkEnd(bytes, pos, CHANGE_CHUNK)
    if (end === undefined) return whole
    changes.push(bytes.subarray(pos, end))
    pos = end
  }
  return { doc: bytes.subarray(0, docEnd), changes }
}

/** Where the chunk of `type` starting at `start` ends; undefined if there is none or it is truncated. */
function chunkEnd(bytes: Uint8Array, start: number, type: number): number | undefined {
  if (bytes.length < start + 9 || MAGIC.some((b, i) => bytes[start + i] !== b) || bytes[start + 8] !== type)
    return undefined
  const at = { pos: start + 9 }
  const length = readUleb(bytes, at)
  return length === undefined || at.pos + length > bytes.length ? undefined : at.pos + length
}
