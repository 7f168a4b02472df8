import { Packr } from 'msgpackr'
import { CodecError } from './ByteReader.ts'

/**
 * MessagePack for Weft's structured values (key blobs, profiles, records, sync state). Records and
 * structure extensions are off so the bytes depend only on the value, and every decode is
 * size-checked first. Binary fields come back as `Uint8Array` in every runtime.
 */
const packr = new Packr({ useRecords: false, moreTypes: false, structuredClone: false, mapsAsObjects: true })

export function packValue(value: unknown): Uint8Array {
  return packr.pack(value)
}

export function unpackValue<T = unknown>(bytes: Uint8Array, maxBytes: number): T {
  if (bytes.length > maxBytes) throw new CodecError('too-large', `${bytes.length} bytes over limit ${maxBytes}`)
  try {
    return normalise(packr.unpack(bytes)) as T
  } catch (cause) {
    throw new CodecError('malformed', 'not valid MessagePack', { cause })
  }
}

/** Node's msgpackr returns Buffer for binary; turn it into a plain Uint8Array view. */
function normalise(v: unknown): unknown {
  if (v instanceof Uint8Array) {
    return v.constructor === Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
  }
  if (Array.isArray(v)) return v.map(normalise)
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[k] = normalise(x)
    return out
  }
  return v
}
