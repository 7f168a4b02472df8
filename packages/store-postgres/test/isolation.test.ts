import { ready } from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing/fixtures'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Identifiers, PostgresStoreFactory, TenantScope, type IsolationModel } from '../src/index.ts'
import { adminQuery, createTestDatabase, type TestDatabase } from './helpers/pgDatabase.ts'

// Two tenants per test, new names each time (one main database per model serves all its tests).
let A = ''
let B = ''
let run = 0

/** Each model, and a hybrid with A and B in different models. */
const CASES: {
  name: string
  isolation: IsolationModel | 'hybrid'
  models: { A: IsolationModel; B: IsolationModel }
}[] = [
  { name: 'database', isolation: 'database', models: { A: 'database', B: 'database' } },
  { name: 'schema', isolation: 'schema', models: { A: 'schema', B: 'schema' } },
  { name: 'shared', isolation: 'shared', models: { A: 'shared', B: 'shared' } },
  { name: 'hybrid', isolation: 'hybrid', models: { A: 'database', B: 'shared' } },
]

const TABLES = ['weft_stores', 'weft_entries', 'weft_sums', 'weft_kv']

beforeAll(() => ready())

describe.each(CASES)('tenant isolation: $name', ({ isolation, models }) => {
  let db: TestDatabase
  let factory: PostgresStoreFactory

  beforeAll(async () => void (db = await createTestDatabase('iso')))
  afterAll(() => db.drop())

  /** A factory with A and B placed and holding entries (3 for A, 2 for B) and one record each. */
  beforeEach(async () => {
    run++
    A = `acme-${run}`
    B = `globex-${run}`
    factory = new PostgresStoreFactory({ url: db.url, isolation, maxConnections: 1 })
    for (const [tenant, n, model] of [
      [A, 3, models.A],
      [B, 2, models.B],
    ] as const) {
      if (isolation === 'hybrid') await factory.createTenant(tenant, { model })
      const store = await factory.openChangeStore(`${tenant}/orders`)
      await store.appendMany(new EntryFactory().entries(n).map(envelope))
      const kv = await factory.openKeyValueStore(`${tenant}/records`)
      await kv.put('k', new Uint8Array([n]))
    }
  })
  afterEach(() => factory.close())

  it("with A's context, raw SQL reads only A's rows and cannot change B's", async () => {
    await factory.withTenant(A, async (c) => {
      const seen = await c.query<{ tenant_id: string; n: string }>(
        'SELECT tenant_id, count(*) AS n FROM weft_entries GROUP BY tenant_id',
      )
      expect(seen.rows).toEqual([{ tenant_id: A, n: '3' }])
      expect((await c.query('SELECT * FROM weft_entries WHERE tenant_id = $1', [B])).rowCount).toBe(0)
      expect((await c.query('SELECT * FROM weft_kv WHERE tenant_id = $1', [B])).rowCount).toBe(0)
      expect((await c.query(`UPDATE weft_entries SET bytes = '\\x00' WHERE tenant_id = $1`, [B])).rowCount).toBe(0)
      expect((await c.query('DELETE FROM weft_stores WHERE tenant_id = $1', [B])).rowCount).toBe(0)
      // Moving one of A's rows to B is refused by the policy's check.
    })
    await expect(factory.withTenant(A, (c) => c.query('UPDATE weft_kv SET tenant_id = $1', [B]))).rejects.toMatchObject(
      { code: 'WEFT_STORAGE_ERROR', message: expect.stringContaining('row-level security') },
    )
    await expect(
      factory.withTenant(A, (c) =>
        c.query(`INSERT INTO weft_kv (tenant_id, store, key, value) VALUES ($1, 'x', 'y', '\\x00')`, [B]),
      ),
    ).rejects.toMatchObject({ code: 'WEFT_STORAGE_ERROR', message: expect.stringContaining('row-level security') })
    // Naming B's place outright: another schema is not A's to use; another database is out of reach.
    const [b] = (await factory.listTenants()).filter((t) => t.id === B)
    if (b!.model === 'schema')
      await expect(
        factory.withTenant(A, (c) => c.query(`SELECT * FROM ${Identifiers.quote(b!.location)}.weft_entries`)),
      ).rejects.toMatchObject({ message: expect.stringContaining('permission denied') })
    if (b!.model === 'database')
      await expect(
        factory.withTenant(A, (c) => c.query(`SELECT * FROM ${Identifiers.quote(b!.location)}.public.weft_entries`)),
      ).rejects.toMatchObject({ message: expect.stringContaining('cross-database references are not implemented') })
    // The control tables are not a tenant's to read (in a database of its own, they are not even there).
    await expect(factory.withTenant(A, (c) => c.query('SELECT * FROM public.weft_tenants'))).rejects.toMatchObject({
      message: expect.stringMatching(models.A === 'database' ? /does not exist/ : /permission denied/),
    })
    // B's data is whole.
    const bStore = await factory.openChangeStore(`${B}/orders`)
    expect((await bStore.head()).count).toBe(2)
    expect(await (await factory.openKeyValueStore(`${B}/records`)).get('k')).toEqual(new Uint8Array([2]))
  })

  it('a pooled connection reused after A carries none of its context into B', async () => {
    // maxConnections 1: B's transaction (main pool) runs on the connection A's used, when both are there.
    const a = await factory.withTenant(A, (c) =>
      c.query<{ pid: number; who: string; path: string; tenant: string; n: string }>(
        `SELECT pg_backend_pid() AS pid, current_user AS who, current_setting('search_path') AS path,
                current_setting('app.tenant_id', true) AS tenant, (SELECT count(*) FROM weft_entries) AS n`,
      ),
    )
    const b = await factory.withTenant(B, (c) =>
      c.query<{ pid: number; who: string; path: string; tenant: string; n: string }>(
        `SELECT pg_backend_pid() AS pid, current_user AS who, current_setting('search_path') AS path,
                current_setting('app.tenant_id', true) AS tenant, (SELECT count(*) FROM weft_entries) AS n`,
      ),
    )
    expect(a.rows[0]).toMatchObject({ tenant: A, n: '3' })
    expect(b.rows[0]).toMatchObject({ tenant: B, n: '2' })
    if (models.A === models.B && models.A !== 'database') expect(b.rows[0]!.pid).toBe(a.rows[0]!.pid)
    if (models.A === 'schema') expect(b.rows[0]!.who).not.toBe(a.rows[0]!.who)

    // On one connection: A's transaction, then a query with no context at all.
    const record = (await factory.listTenants()).find((t) => t.id === A)!
    const url = new URL(db.url)
    if (record.model === 'database') url.pathname = `/${record.location}`
    const pool = new pg.Pool({ connectionString: url.toString(), max: 1 })
    try {
      const role = record.model === 'schema' ? Identifiers.schemaRole(db.name, A) : Identifiers.appRole(db.name)
      const scope = new TenantScope(pool, A, record.model === 'schema' ? record.location : 'public', role)
      expect(await scope.transaction('a', async (c) => (await c.query('SELECT 1 FROM weft_entries')).rowCount)).toBe(3)
      const after = await pool.query<{ who: string; tenant: string | null; path: string }>(
        `SELECT current_user AS who, current_setting('app.tenant_id', true) AS tenant, current_setting('search_path') AS path`,
      )
      expect(after.rows[0]!.who).not.toBe(role)
      expect(after.rows[0]!.tenant ?? '').toBe('')
      expect(after.rows[0]!.path).not.toContain(record.location === 'public' ? 'wt_' : record.location)
    } finally {
      await pool.end()
    }
  })

  it('a forgotten SET LOCAL yields no rows, not all rows', async () => {
    const record = (await factory.listTenants()).find((t) => t.id === A)!
    const url = new URL(db.url)
    if (record.model === 'database') url.pathname = `/${record.location}`
    const client = new pg.Client({ connectionString: url.toString() })
    await client.connect()
    try {
      const role = record.model === 'schema' ? Identifiers.schemaRole(db.name, A) : Identifiers.appRole(db.name)
      const table = `${Identifiers.quote(record.model === 'schema' ? record.location : 'public')}.weft_entries`
      // Never set on this connection, then set and ended with a transaction ('' afterwards): no rows either way.
      await client.query(`SET ROLE ${Identifiers.quote(role)}`)
      expect((await client.query(`SELECT * FROM ${table}`)).rowCount).toBe(0)
      await client.query('BEGIN')
      await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [A])
      expect((await client.query(`SELECT * FROM ${table}`)).rowCount).toBe(3)
      await client.query('COMMIT')
      expect((await client.query(`SELECT * FROM ${table}`)).rowCount).toBe(0)
      // Nor a forgotten search path: unqualified names do not reach a tenant's schema.
      if (record.model === 'schema')
        await expect(client.query('SELECT * FROM weft_entries')).rejects.toThrow(/permission denied|does not exist/)
    } finally {
      await client.end()
    }
  })

  it('an erased tenant leaves nothing, and the other keeps everything', async () => {
    const record = (await factory.listTenants()).find((t) => t.id === A)!
    expect(await factory.eraseTenant(A)).toBe(true)
    expect(await factory.eraseTenant(A)).toBe(false)
    expect((await factory.listTenants()).map((t) => t.id)).toContain(B)
    expect((await factory.listTenants()).map((t) => t.id)).not.toContain(A)
    const databases = await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [record.location])
    expect(databases.rowCount).toBe(0)
    const schemas = await adminQuery(
      `SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'wt\\_%' AND schema_name = $1`,
      [record.location],
      db.name,
    )
    expect(schemas.rowCount).toBe(0)
    const roles = await adminQuery('SELECT 1 FROM pg_roles WHERE rolname = $1', [Identifiers.schemaRole(db.name, A)])
    expect(roles.rowCount).toBe(0)
    for (const table of TABLES) {
      const left = await adminQuery(`SELECT count(*) AS n FROM public.${table} WHERE tenant_id = $1`, [A], db.name)
      expect(left.rows[0]).toEqual({ n: '0' })
    }
    expect((await adminQuery('SELECT 1 FROM weft_tenants WHERE id = $1', [A], db.name)).rowCount).toBe(0)
    const bStore = await factory.openChangeStore(`${B}/orders`)
    expect((await bStore.head()).count).toBe(2)
    // A is new again: an empty store.
    expect((await (await factory.openChangeStore(`${A}/orders`)).head()).count).toBe(0)
  })
})
