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
}

export function encodeSnapshotPayload(save: Uint8Array, covers: Iterable<ChangeHash>): Uint8Array {
  const list = [...covers]
  const packed = new Uint8Array(list.length * 32)
  list.forEach((h, i) => packed.set(fromHex(h), i * 32))
  return packValue({ save, covers: packed })
}

export function decodeSnapshotPayload(bytes: Uint8Array): SnapshotPayload {
  const v = unpackValue<{ save: Uint8Array; covers: Uint8Array }>(bytes, bytes.length)
  if (!(v?.save instanceof Uint8Array) || !(v.covers instanceof Uint8Array) || v.covers.length % 32 !== 0) {
    throw new WeftError(ErrorCodes.MALFORMED_ENTRY, 'snapshot payload does not parse')
  }
  const covers: ChangeHash[] = []
  for (let i = 0; i < v.covers.length; i += 32) covers.push(asChangeHash(toHex(v.covers.subarray(i, i + 32))))
  return { save: v.save, covers }
}
