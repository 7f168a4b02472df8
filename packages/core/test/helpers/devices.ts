import { expect } from 'vitest'
import {
  DIRECTORY_DB,
  MemoryStoreFactory,
  syncDatabases,
  TenantFactory,
  TEST_KDF,
  type Role,
  type StoreFactory,
  type Tenant,
} from '../../src/index.ts'

export const PASSWORD = 'device-password'

/** One device of a tenant: its own storage, factory and open tenant. */
export interface Device {
  readonly storage: StoreFactory
  readonly factory: TenantFactory
  readonly tenant: Tenant
}

/** The device that creates the tenant (its first admin). */
export async function firstDevice(tenantId: string, storage: StoreFactory = new MemoryStoreFactory()): Promise<Device> {
  const factory = new TenantFactory({ storeFactory: storage, kdf: TEST_KDF })
  return { storage, factory, tenant: await factory.createTenant({ tenantId, password: PASSWORD }) }
}

/** A new device joins through `admin`: join request, approval, join. */
export async function joinDevice(
  admin: Tenant,
  options: { role?: Role; userId?: string; userName?: string; storage?: StoreFactory } = {},
): Promise<Device> {
  const storage = options.storage ?? new MemoryStoreFactory()
  const factory = new TenantFactory({ storeFactory: storage, kdf: TEST_KDF })
  const request = await factory.createJoinRequest({
    tenantId: admin.id,
    userName: options.userName ?? 'someone',
    password: PASSWORD,
  })
  const response = await admin.approveJoinRequest(request, { role: options.role, userId: options.userId })
  const tenant = await factory.joinTenant(request, response, { password: PASSWORD })
  return { storage, factory, tenant }
}

/** This device's id (its signing key, base64url). */
export async function deviceId(tenant: Tenant): Promise<string> {
  const self = await tenant.members.self()
  expect(self).toBeDefined()
  return self!.deviceId
}

/** Syncs the directory both ways first (so trust is in force), then each database both ways. */
export async function syncDevices(a: Tenant, b: Tenant, dbs: readonly string[]): Promise<void> {
  await syncDirectory(a, b)
  for (const name of dbs) await syncDatabases(await a.openDB(name), await b.openDB(name))
}

/** Syncs only the directories of two devices, both ways, and folds them. */
export async function syncDirectory(a: Tenant, b: Tenant): Promise<void> {
  await syncDatabases(await a.openDB(DIRECTORY_DB), await b.openDB(DIRECTORY_DB))
  await a.members.refresh()
  await b.members.refresh()
}

/** Every readable document of a database, by id, as plain data. */
export async function contents(tenant: Tenant, db: string): Promise<Record<string, unknown>> {
  const d = await tenant.openDB(db)
  const out: Record<string, unknown> = {}
  for (const id of (await d.getAllDocumentIds()).sort())
    out[id] = JSON.parse(JSON.stringify((await d.getDocument(id))!.getData()))
  return out
}
