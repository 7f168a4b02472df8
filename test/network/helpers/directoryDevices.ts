import {
  DIRECTORY_DB,
  MemoryStoreFactory,
  TenantFactory,
  TEST_KDF,
  type Role,
  type StoreFactory,
  type Tenant,
} from '@weft/core'
import type { SigningKeyPair } from '@weft/core/backend'
import { registerMembers, RemoteChangeStore, ServerConnection } from '@weft/client'
import { openTenantRecord } from '../../../packages/core/src/tenant/index.ts'

export const PASSWORD = 'device-password'

let n = 0
const storages = new WeakMap<Tenant, StoreFactory>()

/** The storage a device made here keeps its tenant in. */
export function storageOf(tenant: Tenant): StoreFactory {
  return storages.get(tenant)!
}

/** A device's own signing key pair, read from its storage with its password: what a rogue member holds. */
export async function signingKeyOf(tenant: Tenant): Promise<SigningKeyPair> {
  const sealed = await (await storages.get(tenant)!.openKeyValueStore('weft-tenants')).get(`tenant/${tenant.id}`)
  return openTenantRecord(sealed!, PASSWORD).record.identity.signing
}

/** A fresh tenant id for one test. */
export function newTenantId(prefix = 'dir'): string {
  return `${prefix}-${process.pid}-${++n}`
}

/**
 * The device that creates a tenant, which registers the tenant on the server with its own key
 * (so the server folds the tenant's directory from it) and nothing else.
 */
export async function rootDevice(url: string, tenantId = newTenantId()): Promise<Tenant> {
  const storage = new MemoryStoreFactory()
  const factory = new TenantFactory({ storeFactory: storage, kdf: TEST_KDF })
  const tenant = await factory.createTenant({ tenantId, password: PASSWORD })
  storages.set(tenant, storage)
  await registerMembers({ url, tenant: tenantId, admin: tenant.serverSigner(), seq: 1 })
  return tenant
}

/** A new device joins through `admin` (request, approval, join): no server step at all. */
export async function joinDevice(
  admin: Tenant,
  options: { role?: Role; storage?: StoreFactory } = {},
): Promise<Tenant> {
  const storage = options.storage ?? new MemoryStoreFactory()
  const factory = new TenantFactory({ storeFactory: storage, kdf: TEST_KDF })
  const request = await factory.createJoinRequest({ tenantId: admin.id, userName: 'someone', password: PASSWORD })
  const response = await admin.approveJoinRequest(request, options.role ? { role: options.role } : {})
  const tenant = await factory.joinTenant(request, response, { password: PASSWORD })
  storages.set(tenant, storage)
  return tenant
}

/** A device's link to the server, signing in with its own key (`serverSigner()`). */
export function connect(url: string, tenant: Tenant): ServerConnection {
  return new ServerConnection({ url, tenant: tenant.id, key: tenant.serverSigner() })
}

/** Pushes a device's database `name` to the server; the push's per-entry results. */
export async function pushDb(conn: ServerConnection, tenant: Tenant, name: string) {
  const store = (await tenant.openDB(name)).getStore()
  return new RemoteChangeStore({ connection: conn, db: name }).relay(
    await store.getChanges(await store.getAllChangeHashes()),
  )
}

/** Pushes the directory database too: the server then also gets the directory's plaintext records. */
export function pushDirectory(conn: ServerConnection, tenant: Tenant) {
  return pushDb(conn, tenant, DIRECTORY_DB)
}
