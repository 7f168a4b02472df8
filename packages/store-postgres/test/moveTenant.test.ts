import { ready } from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing/fixtures'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Identifiers, PostgresStoreFactory, type IsolationModel } from '../src/index.ts'
import { adminQuery, createTestDatabase, type TestDatabase } from './helpers/pgDatabase.ts'

let db: TestDatabase
beforeAll(async () => {
  await ready()
  db = await createTestDatabase('move')
})
afterAll(() => db.drop())

/** Whether anything of `tenant` is left at a place of `model`. */
async function leftAt(model: IsolationModel, tenant: string): Promise<boolean> {
  if (model === 'database')
    return (
      (await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [Identifiers.database(db.name, tenant)]))
        .rowCount! > 0
    )
  if (model === 'schema')
    return (
      (
        await adminQuery(
          'SELECT 1 FROM information_schema.schemata WHERE schema_name = $1',
          [Identifiers.schema(tenant)],
          db.name,
        )
      ).rowCount! > 0
    )
  const rows = await adminQuery('SELECT 1 FROM public.weft_entries WHERE tenant_id = $1', [tenant], db.name)
  return rows.rowCount! > 0
}

describe.each([
  ['shared', 'database'],
  ['database', 'schema'],
  ['schema', 'shared'],
] as [IsolationModel, IsolationModel][])('moving a tenant from %s to %s', (from, to) => {
  it('keeps every store (epoch, arrival order, bytes) and record, and leaves nothing behind', async () => {
    const tenant = `mover-${from}-${to}`
    const factory = new PostgresStoreFactory({ url: db.url, isolation: 'hybrid' })
    try {
      await factory.createTenant(tenant, { model: from })
      const f = new EntryFactory()
      const orders = await factory.openChangeStore(`${tenant}/orders`)
      await orders.appendMany(f.entries(7).map(envelope))
      await (await factory.openChangeStore(`${tenant}/empty`)).head()
      await (await factory.openKeyValueStore(`${tenant}/records`)).put('k', new Uint8Array([5]))
      const before = { head: await orders.head(), scan: (await orders.scan(null)).entries }
      const bytes = await orders.getChanges(before.scan.map((e) => e.hash))

      const moved = await factory.moveTenant(tenant, to)
      expect(moved).toMatchObject({ model: to, copied: { changeStores: 2, entries: 7, records: 1 } })
      expect(orders.closed).toBe(true)
      expect((await factory.listTenants()).find((t) => t.id === tenant)?.model).toBe(to)

      const again = await factory.openChangeStore(`${tenant}/orders`)
      expect(await again.head()).toEqual(before.head)
      expect((await again.scan(null)).entries).toEqual(before.scan)
      expect(await again.getChanges(before.scan.map((e) => e.hash))).toEqual(bytes)
      expect(await (await factory.openKeyValueStore(`${tenant}/records`)).get('k')).toEqual(new Uint8Array([5]))
      expect(await leftAt(from, tenant)).toBe(false)
      expect(await leftAt(to, tenant)).toBe(true)
      // The new place is isolated as any other of its model.
      const seen = await factory.withTenant(tenant, (c) => c.query('SELECT DISTINCT tenant_id FROM weft_entries'))
      expect(seen.rows).toEqual([{ tenant_id: tenant }])
    } finally {
      await factory.close()
    }
  })
})

describe('moveTenant', () => {
  it('is for hybrid factories and recorded tenants only', async () => {
    const single = new PostgresStoreFactory({ url: db.url, isolation: 'shared' })
    const hybrid = new PostgresStoreFactory({ url: db.url, isolation: 'hybrid' })
    try {
      await expect(single.moveTenant('x', 'schema')).rejects.toMatchObject({ code: 'WEFT_INVALID_ARGUMENT' })
      await expect(hybrid.moveTenant('nobody', 'schema')).rejects.toMatchObject({ code: 'WEFT_TENANT_NOT_FOUND' })
    } finally {
      await single.close()
      await hybrid.close()
    }
  })
})
