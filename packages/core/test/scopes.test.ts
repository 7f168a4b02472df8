import { beforeAll, describe, expect, it } from 'vitest'
import {
  ErrorCodes,
  MemoryStoreFactory,
  MultiTenantSyncOrchestrator,
  ready,
  scopeToTenantId,
  TenantFactory,
  TEST_KDF,
  type TenantScope,
} from '../src/index.ts'

beforeAll(ready)

const BASE: Required<TenantScope> = {
  org: 'acme',
  server: 'eu-1',
  project: 'shop',
  environment: 'production',
  codeHash: 'c0ffee',
}
const PARTS = ['org', 'server', 'project', 'environment', 'codeHash'] as const

describe('tenant scopes are isolation keys', () => {
  it('escape the separator, so different scopes never share a canonical id', () => {
    expect(scopeToTenantId(BASE)).toBe('acme:eu-1:shop:production:c0ffee')
    expect(scopeToTenantId({ org: 'a:b' })).not.toBe(scopeToTenantId({ org: 'a', server: 'b' }))
    expect(scopeToTenantId({ org: 'a\\', server: 'b' })).not.toBe(scopeToTenantId({ org: 'a\\:b' }))
  })

  for (const part of PARTS) {
    it(`isolate two tenants that differ only in ${part}`, async () => {
      const storeFactory = new MemoryStoreFactory()
      const factory = new TenantFactory({ storeFactory, kdf: TEST_KDF })
      const a = await factory.createTenant({ tenantId: BASE, password: 'pw' })
      const b = await factory.createTenant({ tenantId: { ...BASE, [part]: `other-${part}` }, password: 'pw' })
      expect(a.id).not.toBe(b.id)
      const dbA = await a.openDB('orders')
      const dbB = await b.openDB('orders')
      const doc = await dbA.createDocument({ data: { secret: part } })
      await a.audit.record({ action: 'share', partner: 'someone' })
      // Separate storage: the same database name is another store, another trail, other records.
      expect(await dbB.getStore().getAllChangeHashes()).toEqual([])
      expect(await b.audit.query()).toEqual([])
      expect(await b.sharing.list()).toEqual([])
      // Separate keys and trust: entries copied over by a relay are kept but never read.
      const pulled = await dbB.pullChangesFrom(dbA)
      expect(pulled.transferred).toBe(1)
      expect(pulled.materialised.untrusted.map((u) => u.code)).toEqual([ErrorCodes.ORIGIN_NOT_LINKED])
      expect(await dbB.getDocument(doc.getId())).toBeUndefined()
      expect(b.keyBag.current('default').key).not.toEqual(a.keyBag.current('default').key)
      // Reopened by its own id, each finds only its own data.
      const again = await factory.openTenant({ ...BASE, [part]: `other-${part}` }, { password: 'pw' })
      expect(again.signingKey).toEqual(b.signingKey)
      expect(await again.audit.query()).toEqual([])
    })
  }

  it('share across scopes only under a grant addressed to the exact scope', async () => {
    const factory = new TenantFactory({ kdf: TEST_KDF })
    const source = await factory.createTenant({ tenantId: { org: 'acme', environment: 'production' }, password: 'pw' })
    const partner = await factory.createTenant({
      tenantId: { org: 'globex', environment: 'production' },
      password: 'pw',
    })
    const sibling = await factory.createTenant({ tenantId: { org: 'globex', environment: 'staging' }, password: 'pw' })
    await source.keyBag.generateKey('orders-key')
    const orders = await source.openDB('orders', { keyId: 'orders-key' })
    const doc = await orders.createDocument({ data: { item: 'table' } })
    const offer = await source.sharing.share({
      partner: partner.publicProfile(),
      databases: ['orders'],
      allowedEnvironments: ['production'],
    })
    await expect(sibling.sharing.accept(offer)).rejects.toMatchObject({ code: ErrorCodes.BAD_GRANT })
    await partner.sharing.accept(offer)
    const o = new MultiTenantSyncOrchestrator()
    await o.addRelationship('acme→globex', source, partner, ['orders'], { direction: 'push', grantId: offer.grant.id })
    await o.addRelationship('acme→globex-staging', source, sibling, ['orders'], {
      direction: 'push',
      grantId: offer.grant.id,
    })
    const result = await o.syncAll()
    expect(result.synced).toEqual(['acme→globex'])
    expect(result.failed.map((f) => f.error.code)).toEqual([ErrorCodes.PERMISSION_DENIED])
    expect((await (await partner.openDB('orders')).getDocument(doc.getId()))?.toJSON()).toEqual({ item: 'table' })
    expect(await (await sibling.openDB('orders')).getStore().getAllChangeHashes()).toEqual([])
    const listing = await partner.sharing.listDocuments('orders')
    expect(listing.shared[0]).toMatchObject({
      origin: { tenant: 'acme:::production:', db: 'orders' },
      via: { sharedBy: 'acme:::production:' },
    })
  })
})
