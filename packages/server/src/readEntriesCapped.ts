import type { ChangeHash, ChangeStore, EntryEnvelope } from '@weft/core/backend'

/** What {@link readEntriesCapped} read. */
export interface CappedRead {
  /** The held entries among the first `taken` hashes, in their order. */
  readonly entries: EntryEnvelope[]
  /** How many of the given hashes this covers (held or not); fewer than given when the byte cap was reached. */
  readonly taken: number
  /** Bytes of `entries`. */
  readonly bytes: number
}

/**
 * Reads the entries of `hashes` from `store`, in order, until they would pass `maxBytes` (the
 * first entry always goes, however large). It reads a few at a time, never more than the cap
 * could hold of entries of `maxEntryBytes`, so what it holds at once stays near `maxBytes` however
 * many hashes are asked for.
 */
export async function readEntriesCapped(
  store: Pick<ChangeStore, 'getChanges'>,
  hashes: readonly ChangeHash[],
  limits: { readonly maxBytes: number; readonly maxEntryBytes: number },
): Promise<CappedRead> {
  const entries: EntryEnvelope[] = []
  let bytes = 0
  let taken = 0
  while (taken < hashes.length) {
    const room = limits.maxBytes - bytes
    const batch = Math.max(1, Math.min(256, Math.floor(room / Math.max(1, limits.maxEntryBytes))))
    const names = hashes.slice(taken, taken + batch)
    const got = new Map((await store.getChanges(names)).map((e) => [e.hash as string, e]))
    for (const h of names) {
      const e = got.get(h)
      if (e) {
        if (entries.length && bytes + e.bytes.length > limits.maxBytes) return { entries, taken, bytes }
        entries.push(e)
        bytes += e.bytes.length
      }
      taken++
    }
  }
  return { entries, taken, bytes }
}
