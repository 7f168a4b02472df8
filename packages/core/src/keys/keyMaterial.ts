import { packValue, unpackValue } from '../codec/index.ts'
import { KEY_BYTES } from '../crypto/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'

/** One version of a named key. Versions start at 1 and only grow. */
export interface KeyVersion {
  readonly version: number
  readonly key: Uint8Array
}

const MAX_VERSIONS = 10_000

/** Encodes a list of key versions (the secret inside a key blob). */
export function encodeKeyVersions(versions: readonly KeyVersion[]): Uint8Array {
  return packValue({ f: 'weft-key-versions', v: 1, keys: versions.map((k) => [k.version, k.key]) })
}

/** Decodes and checks {@link encodeKeyVersions} output. */
export function decodeKeyVersions(bytes: Uint8Array): KeyVersion[] {
  const value = unpackValue<{ f: string; v: number; keys: [number, Uint8Array][] }>(bytes, 4 * 1024 * 1024)
  if (
    value?.f !== 'weft-key-versions' ||
    value.v !== 1 ||
    !Array.isArray(value.keys) ||
    value.keys.length > MAX_VERSIONS
  ) {
    throw new WeftError(ErrorCodes.MALFORMED_BLOB, 'not a key version list')
  }
  return value.keys.map((pair) => {
    const [version, key] = Array.isArray(pair) ? pair : []
    if (
      !Number.isSafeInteger(version) ||
      (version as number) < 1 ||
      !(key instanceof Uint8Array) ||
      key.length !== KEY_BYTES
    ) {
      throw new WeftError(ErrorCodes.MALFORMED_BLOB, 'bad key version')
    }
    return { version: version as number, key }
  })
}
