import {
  generateSigningKeyPair,
  MemoryStoreFactory,
  TenantFactory,
  TEST_KDF,
  type Database,
  type SigningKeyPair,
  type StoreFactory,
  type Tenant,
  type ChangeStore,
} from '@weft/core'
import { type KeyValueStore } from '@weft/core/backend'
import { registerMembers, RemoteChangeStore, ServerConnection } from '@weft/client'

/** A device's storage: its own change stores, the tenant records shared with the first device (the same tenant). */
export class DeviceStoreFactory implements StoreFactory {
  readonly #own = new MemoryStoreFactory()
  readonly #records: StoreFactory
  constructor(records: StoreFactory) {
    this.#records = records
  }
  openChangeStore(name: string): Promise<ChangeStore> {
    return this.#own.openChangeStore(name)
  }
  openKeyValueStore(name: string): Promise<KeyValueStore> {
    return this.#records.openKeyValueStore(name)
  }
  close(): Promise<void> {
    return this.#own.close()
  }
}

/** One device of a tenant: its database and its signed-in link to the server. */
export interface Device {
  readonly tenant: Tenant
  readonly db: Database
  readonly key: SigningKeyPair
  readonly connection: ServerConnection
  readonly remote: RemoteChangeStore
}

/** A tenant registered on a server, with `count` devices holding the same tenant. */
export interface TenantSetup {
  readonly tenantId: string
  readonly admin: SigningKeyPair
  readonly devices: Device[]
  /** A new device of the same tenant (registered), e.g. to reconnect after a restart. */
  addDevice(): Promise<Device>
}

let n = 0

export async function setupTenant(
  url: string,
  options: { count?: number; db?: string; tenantId?: string } = {},
): Promise<TenantSetup> {
  const tenantId = options.tenantId ?? `org-${process.pid}-${++n}`
  const dbName = options.db ?? 'notes'
  const records = new MemoryStoreFactory()
  const first = await new TenantFactory({ storeFactory: records, kdf: TEST_KDF }).createTenant({
    tenantId,
    password: 'pw',
  })
  const admin = generateSigningKeyPair()
  await registerMembers({ url, tenant: tenantId, admin, seq: 1, add: [first.signingKey] })
  let seq = 1
  const addDevice = async (tenant?: Tenant): Promise<Device> => {
    const t =
      tenant ??
      (await new TenantFactory({ storeFactory: new DeviceStoreFactory(records), kdf: TEST_KDF }).openTenant(tenantId, {
        password: 'pw',
      }))
    const key = generateSigningKeyPair()
    await registerMembers({ url, tenant: tenantId, admin, seq: ++seq, add: [key.publicKey] })
    const connection = new ServerConnection({ url, tenant: tenantId, key })
    return {
      tenant: t,
      db: await t.openDB(dbName),
      key,
      connection,
      remote: new RemoteChangeStore({ connection, db: dbName }),
    }
  }
  const devices: Device[] = [await addDevice(first)]
  for (let i = 1; i < (options.count ?? 2); i++) devices.push(await addDevice())
  return { tenantId, admin, devices, addDevice: () => addDevice() }
}

/** Every readable document of a database, by id, as plain JSON. */
export async function contents(db: Database): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {}
  for (const id of (await db.getAllDocumentIds()).sort())
    out[id] = JSON.parse(JSON.stringify((await db.getDocument(id))!.getData()))
  return out
}

/** Polls `check` until it is true or `ms` pass. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  ms = 20_000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + ms
  for (;;) {
    if (await check()) return
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
