import { RecentText, toHex } from '../codec/index.ts'
import { WeftError } from '../errors.ts'
import { isLocallySigned, type EntryEnvelope, type ParsedEntry } from '../entries/index.ts'
import type { ChangeHash } from '../types.ts'
import type { RejectedEntry } from './ChangeStore.ts'
import { StoredEntry } from './StoredEntry.ts'

/** Copies the bytes of a batch into the store's own memory (a store's `_copyAppended`). */
export type CopyBytes = (bytes: readonly Uint8Array[]) => Uint8Array[]

/**
 * A batch as the checks see it: each entry that can be one (bytes within the size limit) on the
 * store's own copy of its bytes, the rest as given, for the checks to refuse. What this process
 * signed stays trusted on its copy. `copied` counts the copies, so that {@link storedEntries} can
 * tell whether anything else shares their buffer.
 */
export function ownCopies(
  list: readonly EntryEnvelope[],
  maxEntryBytes: number,
  copyBytes: CopyBytes,
): {
  list: EntryEnvelope[]
  signedHere: (e: EntryEnvelope) => boolean
  copied: number
} {
  const given = list.map((e) => (e !== null && typeof e === 'object' ? e.bytes : undefined)) // each read once
  const fits = given.map((b) => b instanceof Uint8Array && b.length <= maxEntryBytes)
  const copies = copyBytes(given.filter((_, i) => fits[i]) as Uint8Array[])
  const signed = new Set<EntryEnvelope>()
  let next = 0
  const own = list.map((e, i) => {
    if (!fits[i]) return e
    const copy: EntryEnvelope = { hash: e.hash, bytes: copies[next++]! }
    if (isLocallySigned(e)) signed.add(copy)
    return copy
  })
  return { list: own, signedHere: (e) => signed.has(e), copied: copies.length }
}

/**
 * The entries to store, on the copies the checks read. When the batch dropped any (refused,
 * repeated, already held), the rest are copied again so that a shared buffer does not keep the
 * dropped bytes alive for as long as the store holds the entries.
 */
export function storedEntries(fresh: readonly ParsedEntry[], copied: number, copyBytes: CopyBytes): StoredEntry[] {
  const bytes = fresh.length < copied ? copyBytes(fresh.map((o) => o.bytes)) : fresh.map((o) => o.bytes)
  const authors = new RecentText() // author keys repeat in runs: hex each run once
  return fresh.map((o, i) => new StoredEntry(o, bytes[i]!, authors.of(o.header.author, toHex)))
}

/** Sorts a settled batch: what passed (first copy of each), repeats, and refusals. */
export function sortOutcomes(
  list: readonly EntryEnvelope[],
  outcomes: readonly (ParsedEntry | WeftError)[],
): { taken: ParsedEntry[]; duplicates: ChangeHash[]; rejected: RejectedEntry[] } {
  const duplicates: ChangeHash[] = []
  const rejected: RejectedEntry[] = []
  const seen = new Set<string>()
  const taken: ParsedEntry[] = []
  outcomes.forEach((o, i) => {
    const hash = (typeof list[i]?.hash === 'string' ? list[i]!.hash : '') as ChangeHash
    if (o instanceof WeftError) rejected.push({ hash, error: o })
    else if (seen.has(hash)) duplicates.push(hash)
    else {
      seen.add(hash)
      taken.push(o)
    }
  })
  return { taken, duplicates, rejected }
}
