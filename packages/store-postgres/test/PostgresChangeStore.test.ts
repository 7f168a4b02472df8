import { afterAll, beforeAll } from 'vitest'
import { runChangeStoreTests } from '@weft/core/testing'
import { PostgresStoreFactory, type IsolationModel } from '../src/index.ts'
import { createTestDatabase, type TestDatabase } from './helpers/pgDatabase.ts'

for (const isolation of ['shared', 'schema', 'database'] as IsolationModel[]) {
  // One main database per model; every test gets a store of its own (a fresh name) in one tenant.
  let db: TestDatabase
  let n = 0
  beforeAll(async () => void (db = await createTestDatabase(`conf_${isolation}`)))
  afterAll(() => db.drop())

  runChangeStoreTests(
    `PostgresChangeStore (${isolation})`,
    async () => {
      const name = `conformance/db${++n}`
      let factory = new PostgresStoreFactory({ url: db.url, isolation, maxConnections: 4 })
      const store = await factory.openChangeStore(name)
      return {
        store,
        // Ends every pool and opens the same data again, as after a restart.
        reopen: async () => {
          await factory.close()
          factory = new PostgresStoreFactory({ url: db.url, isolation, maxConnections: 4 })
          return factory.openChangeStore(name)
        },
        teardown: () => factory.close(),
      }
    },
    { persistent: true },
  )
}
