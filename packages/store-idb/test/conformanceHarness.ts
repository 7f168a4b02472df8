import type { StoreHarness } from '@weft/core/testing'
import { deleteDB } from 'idb'
import { IdbStoreFactory } from '../src/index.ts'

let databases = 0

/**
 * A fresh IndexedDB database per conformance test, with `reopen` (close the factory, open the same
 * database again) and a teardown that deletes it. Shared by the Node run (fake-indexeddb) and the
 * Chromium page.
 */
export async function idbConformanceHarness(): Promise<StoreHarness> {
  const name = `conformance-${++databases}`
  let factory = new IdbStoreFactory({ name })
  const store = await factory.openChangeStore('tenant/db')
  return {
    store,
    reopen: async () => {
      await factory.close()
      factory = new IdbStoreFactory({ name })
      return factory.openChangeStore('tenant/db')
    },
    teardown: async () => {
      await factory.close()
      await deleteDB(name)
    },
  }
}
