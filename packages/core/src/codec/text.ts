/** Hex and base64url conversions that work the same in Node and browsers. */

const HEX_DIGITS = new TextEncoder().encode('0123456789abcdef')
/** Hex digits are ASCII, which this label decodes one byte to one code point, in browsers too. */
const ascii = new TextDecoder('latin1')

/**
 * Lowercase hex of `bytes`, built as one flat string: hashes become Map and Set keys everywhere,
 * and a string concatenated per byte is a rope every lookup first flattens (about 3x slower here).
 */
export function toHex(bytes: Uint8Array): string {
  const chars = new Uint8Array(bytes.length * 2)
  for (let i = 0; i < bytes.length; i++) {
    chars[2 * i] = HEX_DIGITS[bytes[i]! >> 4]!
    chars[2 * i + 1] = HEX_DIGITS[bytes[i]! & 15]!
  }
  return ascii.decode(chars)
}

/** The value of one lowercase hex digit's char code; -1 for anything else. */
export function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48
  if (code >= 97 && code <= 102) return code - 87
  return -1
}

/** Bytes of lowercase hex; `RangeError` for anything else. */
export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1)
  fromHexInto(hex, out, 0)
  return out
}

/**
 * Writes the bytes of lowercase hex into `out` from `offset` (no array per call, for packing many
 * hashes into one buffer); `RangeError` for anything not lowercase hex or past the end of `out`.
 */
export function fromHexInto(hex: string, out: Uint8Array, offset: number): void {
  if (hex.length % 2 !== 0) throw new RangeError('not lowercase hex')
  const n = hex.length / 2
  if (offset < 0 || offset + n > out.length) throw new RangeError('hex does not fit')
  for (let i = 0; i < n; i++) {
    const hi = nibble(hex.charCodeAt(2 * i))
    const lo = nibble(hex.charCodeAt(2 * i + 1))
    if (hi < 0 || lo < 0) throw new RangeError('not lowercase hex')
    out[offset + i] = (hi << 4) | lo
  }
}

const BASE64URL_DIGITS = new TextEncoder().encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')

/** The base64url digit of the low six bits of `v`. */
function digit(v: number): number {
  return BASE64URL_DIGITS[v & 63]!
}

/**
 * Unpadded base64url of `bytes`, built as one flat string like {@link toHex}: author keys become
 * Map and Set keys on every entry a database admits.
 */
export function toBase64Url(bytes: Uint8Array): string {
  const n = bytes.length
  const chars = new Uint8Array(Math.floor(n / 3) * 4 + [0, 2, 3][n % 3]!)
  let o = 0
  let i = 0
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    chars[o++] = digit(v >> 18)
    chars[o++] = digit(v >> 12)
    chars[o++] = digit(v >> 6)
    chars[o++] = digit(v)
  }
  if (i < n) {
    const v = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8)
    chars[o++] = digit(v >> 18)
    chars[o++] = digit(v >> 12)
    if (i + 1 < n) chars[o] = digit(v >> 6)
  }
  return ascii.decode(chars)
}

export function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new RangeError('not base64url')
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4)
  const bin = atob(padded)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

/** Byte-wise equality (not constant time; use the crypto module's compare for secrets). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0
  for (const p of parts) len += p.length
  const out = new Uint8Array(len)
  let off = 0
  for (const p of parts) {
    out.set(p, off)
    off += p.length
  }
  return out
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
