import { packValue, unpackValue } from '../codec/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import { asChangeHash, type ChangeHash } from '../types.ts'

/**
 * Plaintext of a `snapshot` entry: `Automerge.save()` of the document and the entries it covers,
 * so a loader can skip fetching and decrypting them. Covered hashes are inside the ciphertext:
 * a store learns only that a snapshot exists.
 */
export interface SnapshotPayload {
  readonly save: Uint8Array
  readonly covers: ChangeHash[]
  /**
   * Entries that covered entries follow but the snapshot does not cover (they had not arrived when
   * it was written). A loader must know them so a late arrival does not become a head.
   */
  readonly refs: ChangeHash[]
}

const HASH_BYTES = 32
const HEX_DIGITS = new TextEncoder().encode('0123456789abcdef')
/** Every byte below 0x80 decodes to the same code point under this label, in browsers too. */
const ascii = new TextDecoder('latin1')

function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48
  if (code >= 97 && code <= 102) return code - 87
  throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'a covered hash is not lowercase hex')
}

function packHashes(list: readonly ChangeHash[]): Uint8Array {
  const packed = new Uint8Array(list.length * HASH_BYTES)
  let o = 0
  for (const h of list) {
    if (h.length !== HASH_BYTES * 2) throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'a covered hash is not 32 bytes')
    for (let i = 0; i < h.length; i += 2) packed[o++] = (nibble(h.charCodeAt(i)) << 4) | nibble(h.charCodeAt(i + 1))
  }
  return packed
}

/**
 * Hex of every 32-byte hash, decoded as one string and sliced. A snapshot can cover tens of
 * thousands of entries, and each hash becomes a Set and Map key: built by concatenating per byte,
 * each would be a rope that every lookup first flattens, which made this several times slower.
 */
function unpackHashes(bytes: Uint8Array): ChangeHash[] {
  const chars = new Uint8Array(bytes.length * 2)
  for (let i = 0; i < bytes.length; i++) {
    chars[2 * i] = HEX_DIGITS[bytes[i]! >> 4]!
    chars[2 * i + 1] = HEX_DIGITS[bytes[i]! & 15]!
  }
  const text = ascii.decode(chars)
  const out = new Array<ChangeHash>(bytes.length / HASH_BYTES)
  for (let i = 0; i < out.length; i++) out[i] = asChangeHash(text.slice(i * HASH_BYTES * 2, (i + 1) * HASH_BYTES * 2))
  return out
}

export function encodeSnapshotPayload(save: Uint8Array, covers: Iterable<ChangeHash>, refs: Iterable<ChangeHash> = []): Uint8Array {
  return packValue({ save, covers: packHashes([...covers]), refs: packHashes([...refs]) })
}

export function decodeSnapshotPayload(bytes: Uint8Array): SnapshotPayload {
  const v = unpackValue<{ save: Uint8Array; covers: Uint8Array; refs?: Uint8Array }>(bytes, bytes.length)
  const refs = v?.refs ?? new Uint8Array()
  if (!(v?.save instanceof Uint8Array) || !(v.covers instanceof Uint8Array) || v.covers.length % HASH_BYTES !== 0 ||
    !(refs instanceof Uint8Array) || refs.length % HASH_BYTES !== 0) {
    throw new WeftError(ErrorCodes.MALFORMED_ENTRY, 'snapshot payload does not parse')
  }
  return { save: v.save, covers: unpackHashes(v.covers), refs: unpackHashes(refs) }
}
