/**
 * The core conformance suite compares bytes with Node's `Buffer.from(a).equals(b)`. A page has no
 * `Buffer`; the page bundle gives the suite's module this one as a local binding (a page global
 * would be picked up by libraries that look for Node's `Buffer`).
 */
class BytesForCompare {
  constructor(readonly bytes: Uint8Array) {}

  equals(other: BytesForCompare): boolean {
    const a = this.bytes
    const b = other.bytes
    return a.length === b.length && a.every((x, i) => x === b[i])
  }
}

export const Buffer = {
  from: (bytes: Uint8Array): BytesForCompare => new BytesForCompare(bytes),
}
