import { toBase64Url } from '../codec/index.ts'
import { parseEntry } from '../entries/index.ts'
import type { ChangeStore } from '../store/index.ts'
import type { ChangeHash, Cursor } from '../types.ts'

const PAGE = 2_000

/**
 * The entries each of `devices` (base64url signing keys) signed in `stores`, as held now: what
 * a removal or a change of role records as written before it.
 */
export async function entriesByDevice(
  stores: readonly ChangeStore[],
  devices: ReadonlySet<string>,
): Promise<Map<string, ChangeHash[]>> {
  const out = new Map<string, ChangeHash[]>()
  for (const d of devices) out.set(d, [])
  for (const store of stores) {
    for (let cursor: Cursor | null = null; ;) {
      const page = await store.scan(cursor, { limit: PAGE })
      for (const env of await store.getChanges(page.entries.map((e) => e.hash))) {
        try {
          const author = toBase64Url(parseEntry(env.hash, env.bytes).header.author)
          out.get(author)?.push(env.hash)
        } catch {
          // Never materialised, so never trusted either.
        }
      }
      cursor = page.cursor
      if (page.done) break
    }
  }
  return out
}
