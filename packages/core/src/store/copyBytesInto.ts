/**
 * Copies of `list` in one new buffer, an exact view of it each (one allocation instead of one per
 * item); `undefined` stays `undefined`. Stores hand out and keep such copies, so a caller editing
 * or reusing its bytes cannot change a stored entry. (Not `slice()`: on a Node `Buffer` that
 * returns a view of the same memory.)
 */
export function copyBytesInto<T extends Uint8Array | undefined>(list: readonly T[]): T[] {
  let total = 0
  for (const b of list) total += b?.length ?? 0
  const all = new Uint8Array(total)
  let at = 0
  return list.map((b) => {
    if (!b) return b
    all.set(b, at)
    return all.subarray(at, (at += b.length)) as T
  })
}
