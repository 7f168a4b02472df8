/** Appends canonical binary fields to a growing buffer. */
export class ByteWriter {
  #buf: Uint8Array
  #len = 0

  constructor(initialSize = 256) {
    this.#buf = new Uint8Array(initialSize)
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return
    let size = this.#buf.length * 2
    while (size < this.#len + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.#buf.subarray(0, this.#len))
    this.#buf = next
  }

  u8(value: number): this {
    this.#reserve(1)
    this.#buf[this.#len++] = value & 0xff
    return this
  }

  /** Unsigned LEB128, minimal, for integers up to 2^53 - 1. */
  varint(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint out of range: ${value}`)
    let v = value
    while (v >= 0x80) {
      this.u8((v % 0x80) | 0x80)
      v = Math.floor(v / 0x80)
    }
    return this.u8(v)
  }

  /** Raw bytes of a length known to both sides. */
  fixed(bytes: Uint8Array): this {
    this.#reserve(bytes.length)
    this.#buf.set(bytes, this.#len)
    this.#len += bytes.length
    return this
  }

  /** Length-prefixed bytes. */
  bytes(bytes: Uint8Array): this {
    return this.varint(bytes.length).fixed(bytes)
  }

  /** Length-prefixed UTF-8 string. */
  string(value: string): this {
    return this.bytes(utf8Encoder.encode(value))
  }

  get length(): number {
    return this.#len
  }

  /** The bytes written so far (a copy trimmed to length). */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len)
  }
}

const utf8Encoder = new TextEncoder()
