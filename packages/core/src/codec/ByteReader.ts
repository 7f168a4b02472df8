/**
 * Reads canonical binary fields from untrusted bytes. Every length is checked against the bytes
 * that remain and against a caller-supplied maximum before anything is allocated; every failure
 * is a {@link CodecError} so callers can map it to their own typed error.
 */
export class ByteReader {
  readonly #bytes: Uint8Array
  #pos = 0

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes
  }

  get position(): number {
    return this.#pos
  }

  get remaining(): number {
    return this.#bytes.length - this.#pos
  }

  u8(): number {
    if (this.#pos >= this.#bytes.length) throw new CodecError('truncated', 'unexpected end of input')
    return this.#bytes[this.#pos++]!
  }

  /** Unsigned LEB128; rejects non-minimal encodings and values above 2^53 - 1. */
  varint(max = Number.MAX_SAFE_INTEGER): number {
    let result = 0
    let scale = 1
    for (let i = 0; i < 8; i++) {
      const b = this.u8()
      result += (b & 0x7f) * scale
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) throw new CodecError('malformed', 'non-minimal varint')
        if (!Number.isSafeInteger(result)) throw new CodecError('malformed', 'varint out of range')
        if (result > max) throw new CodecError('too-large', `value ${result} over limit ${max}`)
        return result
      }
      scale *= 0x80
    }
    throw new CodecError('malformed', 'varint too long')
  }

  /** `n` raw bytes, as a view into the input (no copy). */
  fixed(n: number): Uint8Array {
    if (n > this.remaining) throw new CodecError('truncated', `need ${n} bytes, have ${this.remaining}`)
    const out = this.#bytes.subarray(this.#pos, this.#pos + n)
    this.#pos += n
    return out
  }

  /** Moves past `n` bytes without reading them. */
  skip(n: number): void {
    if (n > this.remaining) throw new CodecError('truncated', `need ${n} bytes, have ${this.remaining}`)
    this.#pos += n
  }

  /** Length-prefixed bytes, at most `max` long. */
  bytes(max: number): Uint8Array {
    return this.fixed(this.varint(max))
  }

  /**
   * Length-prefixed UTF-8 string of at most `maxBytes` bytes; invalid UTF-8 (overlong forms,
   * surrogates, truncated sequences) is rejected, and a leading byte-order mark is kept in the
   * string, never stripped, so the caller sees exactly what the bytes say.
   */
  string(maxBytes: number): string {
    return strictUtf8(this.bytes(maxBytes))
  }

  /** Throws unless every byte was consumed. */
  end(): void {
    if (this.remaining !== 0) throw new CodecError('malformed', `${this.remaining} trailing bytes`)
  }
}

/** Why a read failed: ran out of bytes, a field over its limit, or bytes that cannot be valid. */
export type CodecFailure = 'truncated' | 'too-large' | 'malformed'

export class CodecError extends Error {
  readonly failure: CodecFailure
  constructor(failure: CodecFailure, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.failure = failure
    this.name = 'CodecError'
  }
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** `bytes` as UTF-8 text, refused (`CodecError`) as {@link ByteReader.string} refuses it. */
export function strictUtf8(bytes: Uint8Array): string {
  try {
    return utf8Decoder.decode(bytes)
  } catch (cause) {
    throw new CodecError('malformed', 'invalid UTF-8', { cause })
  }
}
