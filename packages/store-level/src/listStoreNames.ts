import type { LevelDatabase } from './StoreLayout.ts'
import { storeNameOf } from './sublevelName.ts'

const PREFIX = '!weft-store!!'

/**
 * The names of the change stores a Level database holds, sorted, read by skipping from one store's
 * sublevel to the next: one seek per store, whatever the stores hold.
 */
export async function listStoreNames(db: LevelDatabase): Promise<string[]> {
  const names: string[] = []
  let from = PREFIX
  for (;;) {
    const [key] = await db.keys({ gt: from, lt: '!weft-store!"', limit: 1 }).all()
    if (key === undefined || !key.startsWith(PREFIX)) return names
    const end = key.indexOf('!', PREFIX.length)
    if (end < 0) return names
    const sub = key.slice(PREFIX.length, end)
    names.push(storeNameOf(sub))
    // Sublevel names hold only bytes above `!`, so `"` sorts after every key of this store.
    from = `${PREFIX}${sub}"`
  }
}
