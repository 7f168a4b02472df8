import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ready, type ChangeHash, type HashRange } from '@weft/core/backend'
import { EntryFactory, envelope, runChangeStoreTests } from '@weft/core/testing'
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

describe('PostgresChangeStore reads', () => {
  let db: TestDatabase
  let factory: PostgresStoreFactory
  beforeAll(async () => {
    await ready()
    db = await createTestDatabase('reads')
    factory = new PostgresStoreFactory({ url: db.url, maxConnections: 2 })
  })
  afterAll(async () => {
    await factory.close()
    await db.drop()
  })

  it('takes any text as a bound (quotes, backslashes, any Unicode) and answers the held hashes between them', async () => {
    const store = await factory.openChangeStore('reads/ranges')
    const es = new EntryFactory(3).entries(24)
    await store.appendMany(es.map(envelope))
    const held = es.map((e) => e.hash).sort()
    // Quoted into the statement: text a naive quoting would break on. NUL is left out (no SQL
    // text type holds it). Hashes are ASCII, so the bytes' order is the strings' order here.
    const bound = fc.oneof(
      fc.constantFrom("'", "''", '\\', "\\'", "') OR true --", '$1', '8', 'a'),
      fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0')),
    )
    await fc.assert(
      fc.asyncProperty(bound, fc.option(bound), fc.option(fc.nat(30)), async (lower, upper, limit) => {
        const expected = held.filter((h) => h >= lower && (upper === null || h < upper)).slice(0, limit ?? Infinity)
        const range = { lower, upper } as HashRange
        expect(await store.hashesInRange(range, limit === null ? {} : { limit })).toEqual(
          upper !== null && upper <= lower ? [] : expected,
        )
      }),
      { numRuns: 60 },
    )
  })

  it('answers the held entries in the order asked until the next would pass the cap, the first whatever its size', async () => {
    const store = await factory.openChangeStore('reads/capped')
    const f = new EntryFactory(20)
    const entries = Array.from({ length: 20 }, (_, i) => envelope(f.entry(i, [], 40 + ((i * 761) % 2_500))))
    await store.appendMany(entries)
    const sizeOf = new Map<string, number>(entries.map((e) => [e.hash, e.bytes.length]))
    const absent = Array.from({ length: 4 }, (_, i) => `${i}`.repeat(64) as ChangeHash)
    const all = [...entries.map((e) => e.hash), ...absent]
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat({ max: all.length - 1 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 12_000 }),
        async (picks, cap) => {
          const asked = picks.map((i) => all[i]!)
          // The reference: walk the hashes asked, adding up the sizes of the held ones.
          let before = 0
          let taken = asked.length
          const expected: ChangeHash[] = []
          for (const [i, h] of asked.entries()) {
            const size = sizeOf.get(h)
            if (size === undefined) continue
            if (expected.length && before + size > cap) {
              taken = i
              break
            }
            expected.push(h)
            before += size
          }
          const read = await store.getChangesUpTo!(asked, cap)
          expect(read.taken).toBe(taken)
          expect(read.entries.map((e) => e.hash)).toEqual(expected)
          for (const e of read.entries) expect(e.bytes.length).toBe(sizeOf.get(e.hash))
        },
      ),
      { numRuns: 80 },
    )
  })
})
