import { packValue, unpackValue, fromHex, toHex } from '../codec/index.ts'
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

function packHashes(list: readonly ChangeHash[]): Uint8Array {
  const packed = new Uint8Array(list.length * 32)
  list.forEach((h, i) => packed.set(fromHex(h), i * 32))
  return packed
}

function unpackHashes(bytes: Uint8Array): ChangeHash[] {
  const out: ChangeHash[] = []
  for (let i = 0; i < bytes.length; i += 32) out.push(asChangeHash(toHex(bytes.subarray(i, i + 32))))
  return out
}

export function encodeSnapshotPayload(save: Uint8Array, covers: Iterable<ChangeHash>, refs: Iterable<ChangeHash> = []): Uint8Array {
  return packValue({ save, covers: packHashes([...covers]), refs: packHashes([...refs]) })
}

export function decodeSnapshotPayload(bytes: Uint8Array): SnapshotPayload {
  const v = unpackValue<{ save: Uint8Array; covers: Uint8Array; refs?: Uint8Array }>(bytes, bytes.length)
  const refs = v?.refs ?? new Uint8Array()
  if (!(v?.save instanceof Uint8Array) || !(v.covers instanceof Uint8Array) || v.covers.length % 32 !== 0 ||
    !(refs instanceof Uint8Array) || refs.length % 32 !== 0) {
    throw new WeftError(ErrorCodes.MALFORMED_ENTRY, 'snapshot payload does not parse')
  }
  return { save: v.save, covers: unpackHashes(v.covers), refs: unpackHashes(refs) }
}
