import { MemoryChangeStore } from '@weft/core'
import { runChangeStoreTests } from '@weft/core/testing'

runChangeStoreTests('MemoryChangeStore', async () => {
  const store = new MemoryChangeStore()
  return { store, teardown: () => store.close() }
})
