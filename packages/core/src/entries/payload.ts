import { packValue, unpackValue } from '../codec/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'

/**
 * Plaintext inside `create` and `change` entries: the Automerge change chunks the entry carries.
 * A `snapshot` carries `Automerge.save()` bytes directly; a `delete` carries an empty list.
 */
export function encodeChangePayload(changes: readonly Uint8Array[]): Uint8Array {
  return packValue(changes)
}

export function decodeChangePayload(bytes: Uint8Array): Uint8Array[] {
  let value: unknown
  try {
    value = unpackValue(bytes, bytes.length)
  } catch (cause) {
    throw new WeftError(ErrorCodes.MALFORMED_ENTRY, 'change payload does not parse', { cause })
  }
  if (!Array.isArray(value) || !value.every((c) => c instanceof Uint8Array)) {
    throw new WeftError(ErrorCodes.MALFORMED_ENTRY, 'change payload is not a list of changes')
  }
  return value as Uint8Array[]
}
