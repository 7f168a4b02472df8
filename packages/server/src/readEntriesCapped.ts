import { ErrorCodes, WeftError, type ChangeHash, type ChangeStore, type EntryEnvelope } from '@weft/core/backend'

/** What {@link readEntriesCapped} read. */
export interface CappedRead {
  /** The held entries among the first `taken` hashes, in their order. */
  readonly entries: EntryEnvelope[]
  /** How many of the given hashes this covers (held or not); fewer than given when the byte cap was reached. */
  readonly taken: number
  /** Bytes of `entries`. */
  readonly bytes: number
}

/** Most hashes one `getChangesUpTo` call names. */
const UP_TO_HASHES = 1_000

/**
 * Reads the entries of `hashes` from `store`, in order, until they would pass `maxBytes` (the
 * first entry always goes, however large). A store that caps a read by its entries' sizes
 * (`getChangesUpTo`) is asked for as many as fit, in one read. Any other store is read a few at a
 * time, never more than the cap could hold of entries of `maxEntryBytes`, so what it holds at once
 * stays near `maxBytes` however many hashes are asked for.
 */
export async function readEntriesCapped(
  store: Pick<ChangeStore, 'getChanges' | 'getChangesUpTo'>,
  hashes: readonly ChangeHash[],
  limits: { readonly maxBytes: number; readonly maxEntryBytes: number },
): Promise<CappedRead> {
  const entries: EntryEnvelope[] = []
  let bytes = 0
  let taken = 0
  while (taken < hashes.length) {
    const room = limits.maxBytes - bytes
    let names: readonly ChangeHash[]
    let got: EntryEnvelope[]
    let stopped = false
    if (store.getChangesUpTo) {
      const asked = hashes.slice(taken, taken + UP_TO_HASHES)
      const read = await store.getChangesUpTo(asked, Math.max(0, room))
      // A read that covered none of the hashes would never end.
      if (!(Number.isInteger(read.taken) && read.taken >= 1 && read.taken <= asked.length))
        throw new WeftError(ErrorCodes.STORAGE_ERROR, `a capped read covered ${read.taken} of ${asked.length} hashes`)
      names = asked.slice(0, read.taken)
      got = read.entries
      stopped = read.taken < asked.length
    } else {
      const batch = Math.max(1, Math.min(256, Math.floor(room / Math.max(1, limits.maxEntryBytes))))
      names = hashes.slice(taken, taken + batch)
      got = await store.getChanges(names)
    }
    const byHash = new Map(got.map((e) => [e.hash as string, e]))
    for (const h of names) {
      const e = byHash.get(h)
      if (e) {
        if (entries.length && bytes + e.bytes.length > limits.maxBytes) return { entries, taken, bytes }
        entries.push(e)
        bytes += e.bytes.length
      }
      taken++
    }
    if (stopped) break // the next held entry does not fit
  }
  return { entries, taken, bytes }
}
