import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ready, serverSignerOf } from '@weft/core/backend'
import { resetTenant } from '@weft/client'
import { WeftServer } from '@weft/server'
import { PostgresStoreFactory, type IsolationModel } from '@weft/store-postgres'
import {
  adminQuery,
  createTestDatabase,
  type TestDatabase,
} from '../../packages/store-postgres/test/helpers/pgDatabase.ts'
import { admin, memberOf, TEST_ADMIN_KEY as KEY } from './helpers/tenancy.ts'

const fast = { requestsPerSecond: 100_000, burst: 100_000 }

beforeAll(() => ready())

describe.each(['shared', 'schema', 'database'] as IsolationModel[])(
  'tenant lifecycle on PostgreSQL (%s)',
  (isolation) => {
    let db: TestDatabase
    beforeAll(async () => {
      db = await createTestDatabase('tenancy')
    })
    afterAll(() => db.drop())

    it('deleting a tenant erases its database, schema or rows, and nothing of the others', async () => {
      const factory = new PostgresStoreFactory({ url: db.url, isolation })
      const server = await WeftServer.start({ storeFactory: factory, limits: fast, tenancy: { adminKey: KEY } })
      const victim = `victim-${process.pid}`
      const keeper = `keeper-${process.pid}`
      const v = await memberOf(server.url, victim)
      const k = await memberOf(server.url, keeper)
      await v.push(v.entries(12, 300), 'orders')
      await v.push(v.entries(5, 300), 'notes')
      await k.push(k.entries(7, 300), 'orders')
      const exported = await admin(server.url, 'GET', `/v1/admin/tenants/${victim}/export`, { key: KEY })
      expect(exported.status).toBe(200)
      const placed = (await factory.listTenants()).find((t) => t.id === victim)!
      expect(await factory.listDatabases(victim)).toEqual(['notes', 'orders'])

      const deleted = await admin(server.url, 'DELETE', `/v1/admin/tenants/${victim}`, { key: KEY })
      expect(deleted.body).toMatchObject({ deleted: victim, databases: 2 })
      expect((await factory.listTenants()).map((t) => t.id)).not.toContain(victim)
      expect(await factory.listDatabases(victim)).toEqual([])
      expect((await admin(server.url, 'GET', `/v1/tenants/${keeper}/stats`, { key: KEY })).body.entries).toBe(7)
      await server.close()

      // Scanned as the superuser: nothing of the victim is left where its model kept it.
      const count = async (sql: string, params: unknown[], on = db.name) =>
        Number((await adminQuery<{ n: string }>(sql, params, on)).rows[0]!.n)
      if (isolation === 'database')
        expect(
          await count('SELECT count(*) AS n FROM pg_database WHERE datname = $1', [placed.location], 'postgres'),
        ).toBe(0)
      if (isolation === 'schema')
        expect(
          await count('SELECT count(*) AS n FROM information_schema.schemata WHERE schema_name = $1', [
            placed.location,
          ]),
        ).toBe(0)
      for (const table of ['weft_entries', 'weft_stores', 'weft_kv'])
        expect(await count(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = $1`, [victim])).toBe(0)
    })
  },
)

describe('tenants created through the admin API on PostgreSQL', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase('placing')
  })
  afterAll(() => db.drop())

  it('under hybrid, a tenant created as database gets a database of its own, others share tables; a single-model storage refuses another model and keeps no record', async () => {
    const factory = new PostgresStoreFactory({ url: db.url, isolation: 'hybrid' })
    const server = await WeftServer.start({ storeFactory: factory, limits: fast, tenancy: { adminKey: KEY } })
    expect(
      (
        await admin(server.url, 'POST', '/v1/admin/tenants', {
          key: KEY,
          body: { id: 'bigcorp', isolation: 'database' },
        })
      ).status,
    ).toBe(201)
    expect((await admin(server.url, 'POST', '/v1/admin/tenants', { key: KEY, body: { id: 'smallco' } })).status).toBe(
      201,
    )
    const models = Object.fromEntries((await factory.listTenants()).map((t) => [t.id, t.model]))
    expect(models).toMatchObject({ bigcorp: 'database', smallco: 'shared' })
    await server.close()

    const single = new PostgresStoreFactory({ url: db.url, isolation: 'shared' })
    const strict = await WeftServer.start({ storeFactory: single, limits: fast, tenancy: { adminKey: KEY } })
    const refused = await admin(strict.url, 'POST', '/v1/admin/tenants', {
      key: KEY,
      body: { id: 'other', isolation: 'schema' },
    })
    expect(refused).toMatchObject({ status: 400, body: { code: 'WEFT_INVALID_ARGUMENT' } })
    expect((await admin(strict.url, 'GET', '/v1/admin/tenants/other', { key: KEY })).status).toBe(404)
    expect((await single.listTenants()).map((t) => t.id)).not.toContain('other')
    await strict.close()
  })
})

describe('a reset tenant on PostgreSQL', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase('generations')
  })
  afterAll(() => db.drop())

  it("keeps its new generation in the tenant's own model, exports and counts only it, and a delete erases every generation", async () => {
    const factory = new PostgresStoreFactory({ url: db.url, isolation: 'hybrid' })
    const server = await WeftServer.start({ storeFactory: factory, limits: fast, tenancy: { adminKey: KEY } })
    try {
      const id = 'resetco'
      expect(
        (await admin(server.url, 'POST', '/v1/admin/tenants', { key: KEY, body: { id, isolation: 'database' } }))
          .status,
      ).toBe(201)
      const before = await memberOf(server.url, id)
      await before.push(before.entries(4, 200), 'orders')
      await resetTenant({ url: server.url, tenant: id, signer: serverSignerOf(before.adminKey) })

      const after = await memberOf(server.url, id)
      await after.push(after.entries(3, 200), 'notes')
      const placed = await factory.listTenants()
      expect(placed.filter((t) => t.id.startsWith(id)).map((t) => [t.id, t.model])).toEqual([
        [id, 'database'],
        [`${id}/g1`, 'database'],
      ])
      const stats = await admin(server.url, 'GET', `/v1/tenants/${id}/stats`, { key: KEY })
      expect(stats.body).toMatchObject({ entries: 3, databases: 1 })
      const exported = await admin(server.url, 'GET', `/v1/admin/tenants/${id}/export`, { key: KEY })
      const lines = (exported.body as string)
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
      expect(lines.filter((l) => l.type === 'database').map((l) => l.name)).toEqual(['notes'])
      expect(lines.at(-1)).toEqual({ type: 'end', databases: 1, entries: 3 })

      const deleted = await admin(server.url, 'DELETE', `/v1/admin/tenants/${id}`, { key: KEY })
      expect(deleted.status).toBe(200)
      expect((await factory.listTenants()).filter((t) => t.id.startsWith(id))).toEqual([])
      const databases = await adminQuery<{ datname: string }>('SELECT datname FROM pg_database')
      const left = databases.rows.filter((r) => placed.some((t) => t.id.startsWith(id) && t.location === r.datname))
      expect(left).toEqual([])

      // The id starts over: a new tenant of it sees none of the erased generations.
      const again = await memberOf(server.url, id)
      expect((await again.connection.db('orders', 'head', {})).count).toBe(0)
      expect((await again.connection.db('notes', 'head', {})).count).toBe(0)
    } finally {
      await server.close()
    }
  })
})
