import { fromHex, packValue, toHex, unpackValue } from '../codec/index.ts'
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

function packHashes(list: readonly ChangeHash[]): Uint8Array {
  const packed = new Uint8Array(list.length * HASH_BYTES)
  list.forEach((h, i) => {
    if (h.length !== HASH_BYTES * 2) throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'a covered hash is not 32 bytes')
    try {
      packed.set(fromHex(h), i * HASH_BYTES)
    } catch {
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'a covered hash is not lowercase hex')
    }
  })
  return packed
}

/** Hex of every 32-byte hash: one conversion of the whole list, then slices of it. */
function unpackHashes(bytes: Uint8Array): ChangeHash[] {
  const text = toHex(bytes)
  const out = new Array<ChangeHash>(bytes.length / HASH_BYTES)
  for (let i = 0; i < out.length; i++) out[i] = asChangeHash(text.slice(i * HASH_BYTES * 2, (i + 1) * HASH_BYTES * 2))
  return out
}

export function encodeSnapshotPayload(
  save: Uint8Array,
  covers: Iterable<ChangeHash>,
  refs: Iterable<ChangeHash> = [],
): Uint8Array {
  return packValue({ save, covers: packHashes([...covers]), refs: packHashes([...refs]) })
}

export function decodeSnapshotPayload(bytes: Uint8Array): SnapshotPayload {
  const v = unpackValue<{ save: Uint8Array; covers: Uint8Array; refs?: Uint8Array }>(bytes, bytes.length)
  const refs = v?.refs ?? new Uint8Array()
  if (
    !(v?.save instanceof Uint8Array) ||
    !(v.covers instanceof Uint8Array) ||
    v.covers.length % HASH_BYTES !== 0 ||
    !(refs instanceof Uint8Array) ||
    refs.length % HASH_BYTES !== 0
  ) {
    throw new WeftError(ErrorCodes.MALFORMED_ENTRY, 'snapshot payload does not parse')
  }
  return { save: v.save, covers: unpackHashes(v.covers), refs: unpackHashes(refs) }
}
