import type { HashRange } from '@weft/core/backend'

/**
 * An array sorts after every string in IndexedDB's key order, so `[name, ABOVE_STRINGS]` bounds
 * every `[name, string]` key from above.
 */
const ABOVE_STRINGS: never[] = []

/** Key range of the `[store, hash]` keys inside `range`, or null when the range is empty. */
export function hashKeyRange(store: string, range: HashRange): IDBKeyRange | null {
  if (range.upper !== null && range.upper <= range.lower) return null
  const upper = range.upper === null ? [store, ABOVE_STRINGS] : [store, range.upper]
  return IDBKeyRange.bound([store, range.lower], upper, false, true)
}

/** Key range of the `[name, key]` keys whose key starts with `prefix`. */
export function prefixKeyRange(name: string, prefix: string): IDBKeyRange {
  const next = successor(prefix)
  return IDBKeyRange.bound([name, prefix], [name, next ?? ABOVE_STRINGS], false, true)
}

/**
 * Key range of the `[name, key]` keys whose key starts with `prefix` and sorts after `after` (when
 * given), or null when there are none.
 */
export function prefixKeyRangeAfter(name: string, prefix: string, after: string | undefined): IDBKeyRange | null {
  if (after === undefined || after < prefix) return prefixKeyRange(name, prefix)
  const next = successor(prefix)
  if (next !== null && after >= next) return null
  return IDBKeyRange.bound([name, after], [name, next ?? ABOVE_STRINGS], true, true)
}

/** Key range of a store's `[store, firstSeq]` log keys after `afterSeq`. */
export function logKeyRange(store: string, afterSeq: number): IDBKeyRange {
  return IDBKeyRange.bound([store, afterSeq], [store, Infinity], true, false)
}

/** Key range of one document's `[store, docId, firstSeq]` keys. */
export function docKeyRange(store: string, docId: string): IDBKeyRange {
  return IDBKeyRange.bound([store, docId, -Infinity], [store, docId, Infinity])
}

/**
 * The least string greater than every string starting with `prefix` (strings compare by UTF-16
 * code unit, in JavaScript and IndexedDB alike), or null when there is none (`''`, or all 0xffff).
 */
function successor(prefix: string): string | null {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const unit = prefix.charCodeAt(i)
    if (unit < 0xffff) return prefix.slice(0, i) + String.fromCharCode(unit + 1)
  }
  return null
}
