import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, ready, type Cursor } from '@weft/core/backend'
import { SOCKET_CLOSE } from '@weft/protocol'
import { WeftServer } from '@weft/server'
import { PostgresStoreFactory } from '@weft/store-postgres'
import {
  adminQuery,
  createTestDatabase,
  type TestDatabase,
} from '../../packages/store-postgres/test/helpers/pgDatabase.ts'
import { eventually } from './helpers/devices.ts'
import { admin, closed, memberAt, memberOf, TEST_ADMIN_KEY as KEY } from './helpers/tenancy.ts'

const fast = { requestsPerSecond: 100_000, burst: 100_000 }

beforeAll(() => ready())

describe('moving a tenant between isolation models through the admin API', () => {
  let db: TestDatabase
  const servers: WeftServer[] = []
  const start = async () => {
    const server = await WeftServer.start({
      storeFactory: new PostgresStoreFactory({ url: db.url, isolation: 'hybrid' }),
      limits: fast,
      tenancy: { adminKey: KEY },
    })
    servers.push(server)
    return server
  }
  beforeAll(async () => {
    db = await createTestDatabase('move')
  })
  afterAll(async () => {
    for (const s of servers) await s.close()
    await db.drop()
  })

  it('a member syncs, the tenant moves shared -> database, the member syncs on from its cursor on both processes, and nothing is left in the old place', async () => {
    const [a, b] = [await start(), await start()]
    const tenant = 'mover'
    const m = await memberOf(a.url, tenant)
    const onB = memberAt(b.url, m) // the same member, signed in through the other process
    await m.push(m.entries(20), 'notes')
    const scan = (who: typeof m, since: Cursor | null) =>
      who.connection.db('notes', 'scan', { since, limit: 1000 }) as Promise<{ entries: unknown[]; cursor: Cursor }>
    const first = await scan(m, null)
    expect(first.entries).toHaveLength(20)
    expect((await scan(onB, null)).entries).toHaveLength(20) // the other process has the store open, in the old place

    // Allowed by the tenant's configuration; before that, the server's default (none) refuses.
    const refused = await admin(a.url, 'POST', `/v1/admin/tenants/${tenant}/move`, {
      key: KEY,
      body: { isolation: 'database' },
    })
    expect(refused).toMatchObject({ status: 409, body: { code: ErrorCodes.MOVE_NOT_ALLOWED } })
    const patched = await admin(a.url, 'PATCH', `/v1/admin/tenants/${tenant}`, {
      key: KEY,
      body: { config: { isolationChanges: ['database'] } },
    })
    expect(patched.status).toBe(200)

    const events: { type: string; data: Record<string, unknown> }[] = []
    a.tenancy.events.onEvery((e) => void (e.tenant === tenant && events.push(e)))
    const sockets = await Promise.all([m.socket(), onB.socket()])
    const closes = sockets.map((s) => closed(s.ws!))
    const moved = await admin(a.url, 'POST', `/v1/admin/tenants/${tenant}/move`, {
      key: KEY,
      body: { isolation: 'database' },
    })
    expect(moved.status).toBe(200)
    expect(moved.body).toMatchObject({ id: tenant, isolation: 'database', status: 'active' })
    expect(moved.body.moving).toBeUndefined()
    // Both sockets, on this process and the other, were closed to be opened again later.
    for (const c of await Promise.all(closes)) expect(c.code).toBe(SOCKET_CLOSE.TRY_LATER)
    expect(events.filter((e) => e.type === 'tenant-moved').map((e) => e.data)).toEqual([
      { from: 'shared', to: 'database' },
    ])
    // Moving it where it is changes nothing.
    const again = await admin(b.url, 'POST', `/v1/admin/tenants/${tenant}/move`, {
      key: KEY,
      body: { isolation: 'database' },
    })
    expect(again).toMatchObject({ status: 200, body: { isolation: 'database', updatedAt: moved.body.updatedAt } })

    await m.push(m.entries(5), 'notes')
    const next = await scan(m, first.cursor)
    expect(next.entries).toHaveLength(5) // the cursor held: same epoch, same arrival numbers
    expect(next.cursor.epoch).toBe(first.cursor.epoch)
    expect((await scan(onB, first.cursor)).entries).toHaveLength(5) // the other process reads the new place
    expect((await scan(onB, null)).entries).toHaveLength(25)

    const count = async (sql: string, params: unknown[], on: string) =>
      (await adminQuery<{ n: number }>(sql, params, on)).rows[0]?.n
    const [row] = (
      await adminQuery<{ model: string; location: string }>(
        'SELECT model, location FROM weft_tenants WHERE id = $1',
        [tenant],
        db.name,
      )
    ).rows
    expect(row?.model).toBe('database')
    for (const table of ['weft_entries', 'weft_stores', 'weft_kv'])
      expect(await count(`SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = $1`, [tenant], db.name)).toBe(0)
    expect(await count(`SELECT count(*)::int AS n FROM weft_entries`, [], row!.location)).toBe(25)
  })

  it('a move the configuration does not allow changes nothing; a hold a stop left is released at the next start', async () => {
    const [a] = servers
    const tenant = 'stayer'
    const m = await memberOf(a!.url, tenant)
    await m.push(m.entries(3), 'notes')
    const before = (await admin(a!.url, 'GET', `/v1/admin/tenants/${tenant}`, { key: KEY })).body
    const rowBefore = (await adminQuery('SELECT * FROM weft_tenants WHERE id = $1', [tenant], db.name)).rows
    const refused = await admin(a!.url, 'POST', `/v1/admin/tenants/${tenant}/move`, {
      key: KEY,
      body: { isolation: 'schema' },
    })
    expect(refused).toMatchObject({ status: 409, body: { code: ErrorCodes.MOVE_NOT_ALLOWED } })
    expect((await admin(a!.url, 'GET', `/v1/admin/tenants/${tenant}`, { key: KEY })).body).toEqual(before)
    expect((await adminQuery('SELECT * FROM weft_tenants WHERE id = $1', [tenant], db.name)).rows).toEqual(rowBefore)

    // A process stopped with the tenant held (as if in the middle of a move): members are refused, to retry.
    await a!.tenancy.catalogue.hold(tenant, 'schema')
    const held = await fetch(`${a!.url}/v1/admin/tenants/${tenant}`, { headers: { authorization: `Bearer ${KEY}` } })
    expect((await held.json()).moving).toBe('schema')
    await expect(m.push(m.entries(1), 'notes')).rejects.toMatchObject({ code: ErrorCodes.TENANT_MOVING })
    const settings = await fetch(`${a!.url}/v1/settings`, {
      headers: { authorization: `Bearer ${await m.connection.token()}` },
    })
    expect(settings.status).toBe(503)
    expect(settings.headers.get('retry-after')).toBe('2')
    expect((await settings.json()).code).toBe(ErrorCodes.TENANT_MOVING)
    for (const s of servers.splice(0)) await s.close()
    const restarted = await start()
    await eventually(
      async () =>
        (await admin(restarted.url, 'GET', `/v1/admin/tenants/${tenant}`, { key: KEY })).body.moving === undefined,
      10_000,
      'the hold released',
    )
    // Readable and writable where it was.
    const back = memberAt(restarted.url, m)
    await back.push(back.entries(1), 'notes')
    const all = (await back.connection.db('notes', 'scan', { since: null, limit: 100 })) as { entries: unknown[] }
    expect(all.entries).toHaveLength(4)
    const record = (await admin(restarted.url, 'GET', `/v1/admin/tenants/${tenant}`, { key: KEY })).body
    expect(record).toMatchObject({ isolation: 'shared', status: 'active' })
  })

  it('a storage that cannot move tenants refuses with WEFT_MOVE_NOT_ALLOWED', async () => {
    const server = await WeftServer.start({ limits: fast, tenancy: { adminKey: KEY, isolationChanges: ['database'] } })
    try {
      await admin(server.url, 'POST', '/v1/admin/tenants', { key: KEY, body: { id: 'here' } })
      const refused = await admin(server.url, 'POST', '/v1/admin/tenants/here/move', {
        key: KEY,
        body: { isolation: 'database' },
      })
      expect(refused).toMatchObject({ status: 409, body: { code: ErrorCodes.MOVE_NOT_ALLOWED } })
    } finally {
      await server.close()
    }
  })
})
