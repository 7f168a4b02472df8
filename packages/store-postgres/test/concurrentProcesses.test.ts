import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ready, toHex } from '@weft/core/backend'
import { EntryFactory } from '@weft/core/testing/fixtures'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONTROL_MIGRATIONS, PostgresStoreFactory, STORE_MIGRATIONS, type IsolationModel } from '../src/index.ts'
import { adminQuery, createTestDatabase, type TestDatabase } from './helpers/pgDatabase.ts'
import { runFixture } from './helpers/runFixture.ts'

let dir: string
beforeAll(async () => {
  await ready()
  dir = await mkdtemp(join(tmpdir(), 'weft-pg-writers-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe.each(['shared', 'schema', 'database'] as IsolationModel[])('two processes on one store (%s)', (isolation) => {
  let db: TestDatabase
  beforeAll(async () => void (db = await createTestDatabase('writers')))
  afterAll(() => db.drop())

  it('append at once: arrival numbers 1..n with no gap and no repeat, every entry once', async () => {
    const f = new EntryFactory(5)
    const common = f.entries(15)
    const own = [f.entries(25), f.entries(25)]
    const files = await Promise.all(
      own.map(async (mine, i) => {
        const file = join(dir, `${isolation}-${i}.json`)
        const list = [...mine, ...common].map((e) => ({ hash: e.hash, bytes: toHex(e.bytes) }))
        await writeFile(file, JSON.stringify(list))
        return file
      }),
    )
    const name = 'acme/orders'
    // Both processes start, open the store, then wait for the same moment to append.
    const startAt = String(Date.now() + 4_000)
    const results = await Promise.all(
      files.map((file, i) =>
        runFixture('appendConcurrently.ts', [db.url, isolation, name, file, startAt, String(i + 7)]),
      ),
    )
    for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 })
    const added = results.map((r) => (JSON.parse(r.stdout) as { added: number }).added)
    const expected = new Set([...own.flat(), ...common].map((e) => e.hash))
    expect(added[0]! + added[1]!).toBe(expected.size)
    // Each added at least its own entries; the common ones went to whichever came first.
    for (const n of added) expect(n).toBeGreaterThanOrEqual(25)

    const factory = new PostgresStoreFactory({ url: db.url, isolation })
    try {
      const store = await factory.openChangeStore(name)
      const page = await store.scan(null, { limit: 1_000 })
      expect(page.entries.map((e) => e.seq)).toEqual(page.entries.map((_, i) => i + 1))
      expect(new Set(page.entries.map((e) => e.hash))).toEqual(expected)
      expect(page.entries.length).toBe(expected.size)
      expect(await store.head()).toMatchObject({ seq: expected.size, count: expected.size })
    } finally {
      await factory.close()
    }
  })
})

describe('two processes migrating one database at once', () => {
  let db: TestDatabase
  beforeAll(async () => void (db = await createTestDatabase('migrators')))
  afterAll(() => db.drop())

  it('both succeed, and each migration is applied once', async () => {
    const startAt = String(Date.now() + 3_000)
    const results = await Promise.all([0, 1].map(() => runFixture('migrateAt.ts', [db.url, startAt])))
    for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 })
    for (const r of results) expect(JSON.parse(r.stdout)).toEqual({ store: [1, 2] })
    const rows = await adminQuery<{ list: string; n: string }>(
      'SELECT list, count(*) AS n FROM weft_migrations GROUP BY list ORDER BY list',
      [],
      db.name,
    )
    expect(rows.rows).toEqual([
      { list: 'control', n: String(CONTROL_MIGRATIONS.length) },
      { list: 'store', n: String(STORE_MIGRATIONS.length) },
    ])
  })
})
