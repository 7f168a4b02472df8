import { cp, rm } from 'node:fs/promises'
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
      // Copies the closed folder aside; restoring closes it again and puts the copy back.
      backup: async () => {
        const copy = await tempDir()
        await factory.close()
        await cp(dir.path, copy.path, { recursive: true })
        factory = new LevelStoreFactory({ path: dir.path })
        const store = await factory.openChangeStore('conformance/db')
        const restore = async () => {
          await factory.close()
          await rm(dir.path, { recursive: true, force: true })
          await cp(copy.path, dir.path, { recursive: true })
          await copy.remove()
          factory = new LevelStoreFactory({ path: dir.path })
          return factory.openChangeStore('conformance/db')
        }
        return { store, restore }
      },
      teardown: async () => {
        await factory.close()
        await dir.remove()
      },
    }
  },
  { persistent: true, restore: true },
)
