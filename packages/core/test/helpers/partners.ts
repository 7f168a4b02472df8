import { TenantFactory, TEST_KDF, type Database, type Tenant } from '../../src/index.ts'

export interface PartnerSet {
  readonly factory: TenantFactory
  readonly tenants: Tenant[]
  readonly dbs: Database[]
}

/**
 * `names.length` tenants that trust each other for database `db` and share the named key `key`
 * (created by the first, sealed to the others). Their databases write under that key.
 */
export async function partners(names: string[], db = 'shared', key = 'shared-key'): Promise<PartnerSet> {
  const factory = new TenantFactory({ kdf: TEST_KDF })
  const tenants: Tenant[] = []
  for (const n of names) tenants.push(await factory.createTenant({ tenantId: n, password: `pw-${n}` }))
  for (const t of tenants) for (const o of tenants) if (t !== o) await t.addPartner(o.publicProfile(), { dbs: [db] })
  await tenants[0]!.keyBag.generateKey(key)
  for (const t of tenants.slice(1)) await t.acceptSharedKey(tenants[0]!.shareKey(key, t.publicProfile()))
  const dbs = await Promise.all(tenants.map((t) => t.openDB(db, { keyId: key })))
  return { factory, tenants, dbs }
}
