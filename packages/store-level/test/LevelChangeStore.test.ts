import { runChangeStoreTests } from '@weft/core/testing'
import { LevelStoreFactory } from '../src/index.ts'
import { tempDir } from './helpers/tempDir.ts'

runChangeStoreTests(
  'LevelChangeStore',
  async () => {
    const dir = await tempDir()
    let factory = new LevelStoreFactory({ path: dir.path })
    const store = await factory.openChangeStore('conformance/db')
    return {
      store,
      // Closes the whole database and opens the folder again, as after a restart.
      reopen: async () => {
        await factory.close()
        factory = new LevelStoreFactory({ path: dir.path })
        return factory.openChangeStore('conformance/db')
      },
      teardown: async () => {
        await factory.close()
        await dir.remove()
      },
    }
  },
  { persistent: true },
)
