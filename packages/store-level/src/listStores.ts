import { storageCall } from './storageError.ts'
import type { LevelDatabase } from './StoreLayout.ts'
import { storeNameOf } from './sublevelName.ts'

/** The change stores and record stores a Level database holds, by name. */
export interface StoreList {
  readonly changeStores: string[]
  readonly recordStores: string[]
}

/**
 * The names of the stores under one top sublevel (`weft-store` or `weft-kv`): its keys are
 * `!<sublevel name>!…`, so the names are found by skipping from one name's keys to the next.
 */
async function namesUnder(db: LevelDatabase, top: string): Promise<string[]> {
  const sub = db.sublevel<string, string>(top, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
  const names: string[] = []
  let after: string | undefined
  for (;;) {
    const [key] = await sub.keys({ ...(after === undefined ? {} : { gt: after }), limit: 1 }).all()
    if (key === undefined) return names
    const end = key.indexOf('!', 1)
    if (!key.startsWith('!') || end < 0) throw new Error(`unexpected key under ${top}`)
    const encoded = key.slice(1, end)
    const name = storeNameOf(encoded)
    if (name !== undefined) names.push(name)
    // '"' follows '!': past every key of this name.
    after = `!${encoded}"`
  }
}

/** Lists the stores in `db` (every store that ever wrote a row), sorted by their encoded names. */
export function listStores(db: LevelDatabase): Promise<StoreList> {
  return storageCall('listing stores', async () => ({
    changeStores: await namesUnder(db, 'weft-store'),
    recordStores: await namesUnder(db, 'weft-kv'),
  }))
}
