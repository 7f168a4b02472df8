import { bytesEqual } from './text.ts'

/**
 * Remembers the text last made from some bytes, so a run of records repeating a field (one author
 * key, one tenant name, in every entry of a batch) decodes and checks it once. It keeps its own copy
 * of the bytes: a caller reusing its buffer cannot make it answer for bytes it never saw.
 */
export class RecentText {
  #bytes: Uint8Array | undefined
  #text = ''

  /** The text of `bytes`: the remembered one when the bytes are the same, else `make(bytes)`. */
  of(bytes: Uint8Array, make: (bytes: Uint8Array) => string): string {
    if (this.#bytes && bytesEqual(this.#bytes, bytes)) return this.#text
    const text = make(bytes) // may throw: then nothing is remembered
    this.#bytes = new Uint8Array(bytes) // a copy: slice() on a Buffer is a view of memory its owner may reuse
    this.#text = text
    return text
  }
}
