/**
 * The bytes of `view` in a buffer of their own. IndexedDB clones a view's whole underlying buffer,
 * so a view into a larger one (a Node `Buffer` from its pool, a `subarray`) is copied first.
 */
export function exactBytes(view: Uint8Array): Uint8Array {
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength ? view : new Uint8Array(view)
}
