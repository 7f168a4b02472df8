import { decryptEntryWithKey, findEntryKey, parseEntry, type ParsedEntry } from '../entries/index.ts'
import type { KeyBag } from '../keys/index.ts'
import type { ChangeStore } from '../store/index.ts'
import type { ChangeHash, DocId } from '../types.ts'
import { decodeSnapshotPayload, type SnapshotPayload } from './snapshotPayload.ts'

/** A snapshot a document loads from, as read and opened, and the entries it covers. */
export interface SnapshotCovers {
  readonly pointer: ChangeHash
  readonly entry: ParsedEntry
  readonly covers: ReadonlySet<string>
}

const opened = new WeakMap<ParsedEntry, SnapshotPayload>()

/**
 * A snapshot entry's payload, decrypted under `key` and decoded once per parsed entry: a load that
 * read what the snapshot covers before it loads the snapshot does not open it twice. Throws as
 * decryption and decoding do.
 */
export function snapshotPayloadOf(entry: ParsedEntry, key: Uint8Array): SnapshotPayload {
  let payload = opened.get(entry)
  if (!payload) opened.set(entry, (payload = decodeSnapshotPayload(decryptEntryWithKey(entry, key))))
  return payload
}

/**
 * For each snapshot in `pointers` that opens here (a snapshot, by a member, under a key held), the
 * entries it covers, by its document: a load from it need not read them. One that does not open
 * is left out, so its document's entries are all read and the load refuses or passes it over.
 */
export async function snapshotCovers(
  store: ChangeStore,
  pointers: readonly ChangeHash[],
  opens: { readonly keys: KeyBag; readonly isMember: (author: Uint8Array) => boolean },
): Promise<Map<DocId, SnapshotCovers>> {
  const out = new Map<DocId, SnapshotCovers>()
  for (const env of pointers.length ? await store.getChanges(pointers) : []) {
    try {
      const entry = parseEntry(env.hash, env.bytes)
      const { kind, docId, author } = entry.header
      if (kind !== 'snapshot' || !opens.isMember(author)) continue
      const key = findEntryKey(entry, opens.keys)
      if (!key) continue
      const { covers } = snapshotPayloadOf(entry, key.key)
      out.set(docId, { pointer: env.hash, entry, covers: new Set(covers) })
    } catch {
      // Read in full instead.
    }
  }
  return out
}
