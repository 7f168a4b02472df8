import type { StoreHarness } from '@weft/core/testing'
import { deleteDB, openDB } from 'idb'
import { IdbStoreFactory } from '../src/index.ts'

let databases = 0

/**
 * A fresh IndexedDB database per conformance test, with `reopen` (close the factory, open the same
 * database again), `backup` (every record of the store read aside; restoring writes them back in
 * place of what is there, as restoring an older copy of the browser profile would) and a teardown
 * that deletes it. Shared by the Node run (fake-indexeddb) and the
 * Chromium page.
 */
export async function idbConformanceHarness(): Promise<StoreHarness> {
  const name = `conformance-${++databases}`
  let factory = new IdbStoreFactory({ name })
  const store = await factory.openChangeStore(STORE)
  return {
    store,
    reopen: async () => {
      await factory.close()
      factory = new IdbStoreFactory({ name })
      return factory.openChangeStore(STORE)
    },
    backup: async () => {
      const saved = await copyStoreRecords(name, STORE)
      const restore = async () => {
        await factory.close()
        await putStoreRecords(name, STORE, saved)
        factory = new IdbStoreFactory({ name })
        return factory.openChangeStore(STORE)
      }
      return { store, restore }
    },
    teardown: async () => {
      await factory.close()
      await deleteDB(name)
    },
  }
}

const STORE = 'tenant/db'
const OBJECT_STORES = ['entries', 'log', 'docs', 'docGroups', 'meta', 'prefixSums'] as const

/** Keys of one change store's records in each object store. */
function keysOf(store: string): Record<(typeof OBJECT_STORES)[number], IDBKeyRange> {
  const byName = IDBKeyRange.bound([store, ''], [store, []])
  return {
    entries: byName,
    prefixSums: byName,
    log: IDBKeyRange.bound([store, -Infinity], [store, Infinity]),
    docs: IDBKeyRange.bound([store], [store, []]),
    docGroups: IDBKeyRange.bound([store], [store, []]),
    meta: IDBKeyRange.only(store),
  }
}

type Saved = Record<string, { keys: IDBValidKey[]; values: unknown[] }>

async function copyStoreRecords(database: string, store: string): Promise<Saved> {
  const db = await openDB(database)
  try {
    const saved: Saved = {}
    for (const os of OBJECT_STORES) {
      const range = keysOf(store)[os]
      saved[os] = { keys: await db.getAllKeys(os, range), values: await db.getAll(os, range) }
    }
    return saved
  } finally {
    db.close()
  }
}

async function putStoreRecords(database: string, store: string, saved: Saved): Promise<void> {
  const db = await openDB(database)
  try {
    const tx = db.transaction([...OBJECT_STORES], 'readwrite')
    const writes: Promise<unknown>[] = []
    for (const os of OBJECT_STORES) {
      const s = tx.objectStore(os)
      writes.push(s.delete(keysOf(store)[os]))
      saved[os]!.values.forEach((v, i) => writes.push(s.put(v, saved[os]!.keys[i])))
    }
    await Promise.all([...writes, tx.done])
  } finally {
    db.close()
  }
}
