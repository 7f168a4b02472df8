import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { packValue, ready, type CatalogueRow, type TenantCatalogueStore } from '@weft/core/backend'
import { WeftServer } from '@weft/server'
import { PostgresStoreFactory } from '@weft/store-postgres'
import { TenantCatalogue } from '../../packages/server/src/tenancy/TenantCatalogue.ts'
import {
  adminQuery,
  createTestDatabase,
  type TestDatabase,
} from '../../packages/store-postgres/test/helpers/pgDatabase.ts'
import { eventually } from './helpers/devices.ts'
import { admin, memberOf, TEST_ADMIN_KEY as KEY } from './helpers/tenancy.ts'

const fast = { requestsPerSecond: 100_000, burst: 100_000 }

beforeAll(() => ready())

/** The tenants table's row of `id`, as the superuser reads it, in the admin API's terms. */
async function rowOf(db: TestDatabase, id: string) {
  const { rows } = await adminQuery(
    `SELECT id, coalesce(name, id) AS name, model AS isolation, status,
       round(extract(epoch FROM created_at) * 1000)::bigint AS "createdAt",
       round(extract(epoch FROM coalesce(updated_at, created_at)) * 1000)::bigint AS "updatedAt",
       quotas, config, flags, adopted, moving
     FROM weft_tenants WHERE id = $1`,
    [id],
    db.name,
  )
  if (rows.length > 1) throw new Error('two rows for one tenant')
  const r = rows[0]
  if (!r) return undefined
  const { adopted, moving, ...rest } = r
  return {
    ...rest,
    createdAt: Number(r.createdAt),
    updatedAt: Number(r.updatedAt),
    ...(adopted ? { adopted } : {}),
    ...(moving !== null ? { moving } : {}),
  }
}

describe('the tenants table on PostgreSQL is the catalogue', () => {
  let db: TestDatabase
  let server: WeftServer
  beforeAll(async () => {
    db = await createTestDatabase('catalogue')
    server = await WeftServer.start({
      storeFactory: new PostgresStoreFactory({ url: db.url, isolation: 'hybrid' }),
      limits: fast,
      tenancy: { adminKey: KEY },
    })
  })
  afterAll(async () => {
    await server.close()
    await db.drop()
  })

  it('after create, update, suspend, resume and delete, the one row says exactly what the admin API says', async () => {
    const call = (method: string, path: string, body?: unknown) =>
      admin(server.url, method, `/v1/admin/tenants${path}`, { key: KEY, ...(body ? { body } : {}) })
    const same = async (answer: { status: number; body: unknown }) => {
      expect(answer.status).toBeLessThan(300)
      expect(await rowOf(db, 'acme')).toEqual(answer.body)
    }
    await same(
      await call('POST', '', {
        id: 'acme',
        name: 'Acme',
        isolation: 'schema',
        quotas: { maxBytesPerTenant: null, maxEntriesPerTenant: 100 },
        config: { maxEntryBytes: 5000, isolationChanges: ['database'] },
        flags: { mailbox: false, beta: true },
      }),
    )
    await same(await call('PATCH', '/acme', { name: 'Acme Ltd', flags: { beta: false } }))
    await same(await call('POST', '/acme/suspend'))
    await same(await call('POST', '/acme/resume'))
    await same(await call('GET', '/acme'))
    expect((await call('DELETE', '/acme')).status).toBe(200)
    expect(await rowOf(db, 'acme')).toBeUndefined()
    expect((await call('GET', '/acme')).status).toBe(404)

    // A tenant placed by its first use gets the catalogue's defaults in its one row.
    const walkIn = await memberOf(server.url, 'walk-in')
    await walkIn.push(walkIn.entries(2), 'notes')
    const shown = await call('GET', '/walk-in')
    expect(shown.body).toMatchObject({ id: 'walk-in', name: 'walk-in', isolation: 'shared', adopted: true })
    expect(await rowOf(db, 'walk-in')).toEqual(shown.body)
  })

  it('an erasure leaves the row of a tenant being deleted for the server, which finishes the deletion at its next start', async () => {
    const created = await admin(server.url, 'POST', '/v1/admin/tenants', {
      key: KEY,
      body: { id: 'doomed', isolation: 'schema' },
    })
    expect(created.status).toBe(201)
    await server.tenancy.catalogue.transition('doomed', 'delete') // as a deletion that a stop cut short
    const other = new PostgresStoreFactory({ url: db.url, isolation: 'hybrid' })
    try {
      expect(await other.eraseTenant('doomed')).toBe(true)
      expect(await rowOf(db, 'doomed')).toMatchObject({ status: 'deleting', isolation: 'schema' })
      expect(await other.eraseTenant('doomed')).toBe(true) // again: the schema is not made again to be dropped
      const schemas = await adminQuery(
        'SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = (SELECT location FROM weft_tenants WHERE id = $1)',
        ['doomed'],
        db.name,
      )
      expect(schemas.rows[0]?.n).toBe(0)
      const next = await WeftServer.start({ storeFactory: other, limits: fast, tenancy: { adminKey: KEY } })
      try {
        await eventually(async () => (await rowOf(db, 'doomed')) === undefined, 10_000, 'the deletion finished')
      } finally {
        await next.close()
      }
    } finally {
      await other.close()
    }
  })

  it("the admin API's pages list every tenant present throughout exactly once while tenants come and go between pages (property)", async () => {
    const catalogue = server.tenancy.catalogue
    const id = fc.stringMatching(/^p[a-e]{1,3}$/)
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(id, { maxLength: 12 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.tuple(fc.boolean(), id), { maxLength: 8 }),
        async (initial, limit, churn) => {
          for (const t of initial) await catalogue.create({ id: t })
          const present = new Set(initial)
          const throughout = new Set(initial)
          const seen: string[] = []
          let after: string | undefined
          for (let i = 0; ; i++) {
            const q = `?limit=${limit}${after ? `&after=${after}` : ''}`
            const page = await admin(server.url, 'GET', `/v1/admin/tenants${q}`, { key: KEY })
            seen.push(...(page.body.tenants as { id: string }[]).map((t) => t.id).filter((t) => t.startsWith('p')))
            if (!page.body.next) break
            after = page.body.next
            const step = churn[i]
            if (!step) continue
            const [add, t] = step
            if (add && !present.has(t)) await catalogue.create({ id: t }).then(() => present.add(t))
            if (!add && present.has(t)) await catalogue.remove(t).then(() => present.delete(t))
            throughout.delete(t)
          }
          expect(seen).toEqual([...new Set(seen)].sort())
          for (const t of throughout) expect(seen).toContain(t)
          for (const t of present) await catalogue.remove(t)
        },
      ),
      { numRuns: 15 },
    )
  })

  it('with 2,000 tenants, a page of 50 and the search for deletions read rows of their own only', async () => {
    await adminQuery(
      `INSERT INTO weft_tenants (id, model, location, name, status, updated_at)
       SELECT 'm' || lpad(n::text, 4, '0'), 'shared', 'public', 'Many ' || n,
         CASE WHEN n % 500 = 0 THEN 'deleting' ELSE 'suspended' END, now()
       FROM generate_series(1, 2000) AS n`,
      [],
      db.name,
    )
    const factory = new PostgresStoreFactory({ url: db.url, isolation: 'hybrid' })
    try {
      let read = 0
      const inner = factory.catalogueStore()
      const counted = <T>(rows: T[]) => ((read += rows.length), rows)
      const store: TenantCatalogueStore = {
        get: async (t) => {
          const row = await inner.get(t)
          if (row) read++
          return row
        },
        put: (row, o) => inner.put(row, o),
        delete: (t) => inner.delete(t),
        page: async (after, limit) => counted(await inner.page(after, limit)),
        pending: async (limit) => counted(await inner.pending(limit)),
      }
      const catalogue = new TenantCatalogue(store, { isolation: 'shared' })
      const page = await catalogue.list('m1000', 50)
      expect(page.tenants.map((t) => t.id)).toEqual(
        Array.from({ length: 50 }, (_, i) => `m${String(1001 + i).padStart(4, '0')}`),
      )
      expect(read).toBe(51)
      read = 0
      expect(await catalogue.deleting()).toEqual(['m0500', 'm1000', 'm1500', 'm2000'])
      expect(read).toBe(8) // the four ids, then each row read again
      // Through the admin API, pages of 1,000 list each of them once.
      const ids: string[] = []
      for (let after = ''; ;) {
        const res = await admin(server.url, 'GET', `/v1/admin/tenants?limit=1000${after && `&after=${after}`}`, {
          key: KEY,
        })
        ids.push(...(res.body.tenants as CatalogueRow[]).map((t) => t.id).filter((t) => t.startsWith('m')))
        if (!res.body.next) break
        after = res.body.next
      }
      expect(ids).toHaveLength(2000)
      expect(new Set(ids).size).toBe(2000)
    } finally {
      await adminQuery(`DELETE FROM weft_tenants WHERE id LIKE 'm%'`, [], db.name)
      await factory.close()
    }
  })
})

describe('records an older server kept in its record store', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase('cataloguemove')
  })
  afterAll(() => db.drop())

  /** A record as the server wrote it before the tenants table held the catalogue. */
  const oldRecord = (id: string, name: string, updatedAt: number) =>
    packValue({
      v: 1,
      id,
      name,
      isolation: 'shared',
      status: 'suspended',
      createdAt: 1_600_000_000_000,
      updatedAt,
      quotas: { maxBytesPerTenant: Infinity, maxEntriesPerTenant: 7 },
      config: { maxEntryBytes: 4096 },
      flags: { livePush: false },
    })

  it('move into the tenants table at the first start, over the placement row, once; a stale record never overwrites a newer row', async () => {
    const before = new PostgresStoreFactory({ url: db.url, isolation: 'hybrid' })
    await before.createTenant('old', { model: 'schema' }) // placed, as the older server did
    const kv = await before.openKeyValueStore('weft-server')
    await kv.put('catalogue/old', oldRecord('old', 'Old one', 1_650_000_000_000))
    await kv.put('catalogue/unplaced', oldRecord('unplaced', 'Never opened', 1_650_000_000_000))
    await before.close()

    const start = () =>
      WeftServer.start({
        storeFactory: new PostgresStoreFactory({ url: db.url, isolation: 'hybrid' }),
        limits: fast,
        tenancy: { adminKey: KEY },
      })
    let server = await start()
    const expected = {
      id: 'old',
      name: 'Old one',
      isolation: 'schema', // where its data is, not what the old record guessed
      status: 'suspended',
      createdAt: 1_600_000_000_000,
      updatedAt: 1_650_000_000_000,
      quotas: { maxBytesPerTenant: null, maxEntriesPerTenant: 7 },
      config: { maxEntryBytes: 4096 },
      flags: { livePush: false },
    }
    expect(await rowOf(db, 'old')).toEqual(expected)
    expect((await admin(server.url, 'GET', '/v1/admin/tenants/old', { key: KEY })).body).toEqual(expected)
    expect(await rowOf(db, 'unplaced')).toMatchObject({
      name: 'Never opened',
      isolation: 'shared',
      status: 'suspended',
    })
    const left = await adminQuery(`SELECT key FROM weft_server_kv WHERE key LIKE 'catalogue/%'`, [], db.name)
    expect(left.rows).toEqual([])
    await admin(server.url, 'PATCH', '/v1/admin/tenants/old', { key: KEY, body: { name: 'Renamed' } })
    await server.close()

    // A stale copy of the record (a start cut short before it deleted it) moves nothing over the newer row.
    const again = new PostgresStoreFactory({ url: db.url, isolation: 'hybrid' })
    await (
      await again.openKeyValueStore('weft-server')
    ).put('catalogue/old', oldRecord('old', 'Stale', 1_650_000_000_000))
    await again.close()
    server = await start()
    expect(await rowOf(db, 'old')).toMatchObject({ name: 'Renamed', status: 'suspended' })
    expect((await adminQuery(`SELECT key FROM weft_server_kv WHERE key LIKE 'catalogue/%'`, [], db.name)).rows).toEqual(
      [],
    )
    await server.close()
  })
})
