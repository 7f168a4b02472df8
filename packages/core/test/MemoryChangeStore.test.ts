import { describe, expect, it } from 'vitest'
import { MemoryChangeStore, ready } from '@weft/core/backend'
import { EntryFactory, runChangeStoreTests } from '@weft/core/testing'

runChangeStoreTests(
  'MemoryChangeStore',
  async () => {
    let store = new MemoryChangeStore()
    return {
      store,
      // A backup is a copy with the same epoch; restoring swaps it in.
      backup: async () => {
        const copy = store.copy()
        const restore = async () => {
          await store.close()
          store = copy
          return store
        }
        return { store, restore }
      },
      teardown: () => store.close(),
    }
  },
  { persistent: false, restore: true },
)

describe('MemoryChangeStore with Node buffers', () => {
  it('copies a Buffer on append (Buffer.slice is a view, not a copy)', async () => {
    await ready()
    const store = new MemoryChangeStore()
    const e = new EntryFactory().entry()
    const buf = Buffer.from(e.bytes)
    await store.append({ hash: e.hash, bytes: buf })
    buf.fill(0)
    expect(await store.getChanges([e.hash])).toHaveLength(1)
  })
})
