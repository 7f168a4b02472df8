import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  ErrorCodes,
  MemoryStoreFactory,
  MultiTenantSyncOrchestrator,
  ready,
  TenantFactory,
  TEST_KDF,
  type Tenant,
} from '../src/index.ts'

beforeAll(ready)

/** A supplier and a customer that trust each other for `orders`; the supplier shares key `collab`. */
async function pair(): Promise<[Tenant, Tenant]> {
  const factory = new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF })
  const supplier = await factory.createTenant({ tenantId: 'supplier', password: 'pw-s' })
  const customer = await factory.createTenant({ tenantId: 'customer', password: 'pw-c' })
  await supplier.addPartner(customer.publicProfile(), { dbs: ['orders'] })
  await customer.addPartner(supplier.publicProfile(), { dbs: ['orders'] })
  await supplier.keyBag.generateKey('collab')
  await customer.acceptSharedKey(supplier.shareKey('collab', customer.publicProfile()))
  return [supplier, customer]
}

let orchestrators: MultiTenantSyncOrchestrator[] = []
afterEach(async () => {
  await Promise.all(orchestrators.map((o) => o.stop()))
  orchestrators = []
})

async function orchestrate(supplier: Tenant, customer: Tenant): Promise<MultiTenantSyncOrchestrator> {
  const o = new MultiTenantSyncOrchestrator()
  orchestrators.push(o)
  await o.addRelationship('s-c', supplier, customer, ['orders'])
  await o.syncAll()
  return o
}

describe('openDB options across callers', () => {
  it('orchestrator first: the app’s named key still applies to new documents', async () => {
    const [supplier, customer] = await pair()
    const o = await orchestrate(supplier, customer) // opens `orders` with no options
    const db = await supplier.openDB('orders', { keyId: 'collab' })
    const doc = await db.createDocument({ data: { item: 'bolts' } })
    expect(doc.keyId).toBe('collab')
    await o.syncAll()
    const received = await (await customer.openDB('orders')).getDocument(doc.getId())
    expect(received?.getData()).toEqual({ item: 'bolts' })
  })

  it('app first: the orchestrator’s open keeps the app’s key', async () => {
    const [supplier, customer] = await pair()
    const db = await supplier.openDB('orders', { keyId: 'collab' })
    await orchestrate(supplier, customer)
    expect(await supplier.openDB('orders')).toBe(db)
    expect((await db.createDocument()).keyId).toBe('collab')
  })

  it('refuses a second caller that asks for another key, and keeps the first choice', async () => {
    const [supplier] = await pair()
    await supplier.keyBag.generateKey('other')
    const db = await supplier.openDB('orders', { keyId: 'collab' })
    await expect(supplier.openDB('orders', { keyId: 'other' })).rejects.toMatchObject({
      code: ErrorCodes.DB_OPTIONS_CONFLICT,
    })
    await expect(supplier.openDB('orders', { snapshotEvery: 10 })).resolves.toBe(db)
    await expect(supplier.openDB('orders', { snapshotEvery: 20 })).rejects.toMatchObject({
      code: ErrorCodes.DB_OPTIONS_CONFLICT,
    })
    expect((await db.createDocument()).keyId).toBe('collab')
  })

  it('settles options of calls made while the database is still opening', async () => {
    const [supplier] = await pair()
    const [a, b] = await Promise.all([supplier.openDB('orders'), supplier.openDB('orders', { keyId: 'collab' })])
    expect(a).toBe(b)
    expect((await a.createDocument()).keyId).toBe('collab')
  })
})

describe('names that entries carry', () => {
  it('refuses tenant ids and database names that are not canonical text, before any entry is made', async () => {
    const factory = new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF })
    for (const tenantId of ['\ufeffacme', 'cafe\u0301', 'ac\u0085me']) {
      await expect(factory.createTenant({ tenantId, password: 'pw' })).rejects.toMatchObject({
        code: ErrorCodes.INVALID_ARGUMENT,
      })
    }
    const tenant = await factory.createTenant({ tenantId: 'café', password: 'pw' })
    for (const name of ['\ufefforders', 'cafe\u0301', 'or\u0085ders']) {
      await expect(tenant.openDB(name)).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT })
    }
    expect((await (await tenant.openDB('café')).createDocument()).getId()).toMatch(/^[0-9a-f]{32}$/)
  })
})
