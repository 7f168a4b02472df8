import { parseEntry } from '../entries/index.ts'
import type { ChangeStore } from '../store/index.ts'
import { toBase64Url } from '../codec/index.ts'
import type { ChangeHash, Cursor } from '../types.ts'

const PAGE = 2_000

/**
 * The entries of `store` up to arrival number `upTo` whose author is one of `signers` (base64url
 * Ed25519 public keys), in arrival order. Reads every entry once; entries that do not parse are
 * left out (they were never materialised either).
 */
export async function entriesSignedBy(
  store: ChangeStore,
  signers: ReadonlySet<string>,
  upTo: number,
): Promise<Set<ChangeHash>> {
  const out = new Set<ChangeHash>()
  for (let cursor: Cursor | null = null; ;) {
    const page = await store.scan(cursor, { limit: PAGE })
    if (page.reset) out.clear()
    const items = page.entries.filter((e) => e.seq <= upTo)
    for (const env of await store.getChanges(items.map((e) => e.hash))) {
      try {
        if (signers.has(toBase64Url(parseEntry(env.hash, env.bytes).header.author))) out.add(env.hash)
      } catch {
        // Not an entry this store should hold; it cannot be materialised, so it needs no trust.
      }
    }
    cursor = page.cursor
    if (page.done || items.length < page.entries.length) return out
  }
}
