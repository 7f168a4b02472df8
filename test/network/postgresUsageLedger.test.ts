import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ready, type EntryEnvelope } from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing'
import { DEFAULT_QUOTAS } from '@weft/server'
import { PostgresStoreFactory } from '@weft/store-postgres'
import { TenantStores } from '../../packages/server/src/TenantStores.ts'
import { UsageLedger } from '../../packages/server/src/UsageLedger.ts'
import { createTestDatabase, type TestDatabase } from '../../packages/store-postgres/test/helpers/pgDatabase.ts'

beforeAll(ready)

describe('the usage ledger shared by processes over PostgreSQL', () => {
  let db: TestDatabase
  let factories: PostgresStoreFactory[]
  let ledgers: UsageLedger[]
  beforeAll(async () => {
    db = await createTestDatabase('usage_ledger')
    // Two factories, two pools: two processes' views of one storage.
    factories = [0, 1].map(() => new PostgresStoreFactory({ url: db.url, maxConnections: 4 }))
    ledgers = await Promise.all(
      factories.map(async (f) => {
        const ledger = new UsageLedger(await f.openKeyValueStore('weft-server'), new TenantStores(f))
        ledger.share()
        return ledger
      }),
    )
  })
  afterAll(async () => {
    await Promise.all(factories.map((f) => f.close()))
    await db.drop()
  })

  it('ends exactly at the entry quota whatever the processes and batches pushing at once (property)', async () => {
    const f = new EntryFactory()
    let n = 0
    let run = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(1), fc.integer({ min: 1, max: 5 })), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 20 }),
        async (pushes, max) => {
          const tenant = `t${++run}`
          const quota = { ...DEFAULT_QUOTAS, maxEntriesPerTenant: max }
          const batches = pushes.map(([p, count]) => ({
            ledger: ledgers[p]!,
            entries: Array.from({ length: count }, (): EntryEnvelope => envelope(f.entry(n++, [], 60))),
          }))
          const results = await Promise.all(batches.map((b) => b.ledger.append(tenant, 'db', b.entries, quota)))
          const added = results.reduce((s, r) => s + r.added.length, 0)
          expect(added).toBe(
            Math.min(
              batches.reduce((s, b) => s + b.entries.length, 0),
              max,
            ),
          )
          for (const l of ledgers) expect((await l.usage(tenant)).entries).toBe(added)
        },
      ),
      { numRuns: 12 },
    )
  })
})
