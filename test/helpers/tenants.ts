import {
  MemoryStoreFactory,
  TEST_KDF,
  TenantFactory,
  type Database,
  type DatabaseOptions,
  type StoreFactory,
  type StoreOptions,
  type Tenant,
} from '@weft/core'

/** How the partners come to hold the shared key. */
export type KeyHandOff = 'password-blob' | 'sealed'

export interface PartnerTenantsOptions {
  /** Tenant ids, one per partner (at least two). */
  readonly ids: readonly string[]
  /** The database every partner opens and links to the others. Default `shared`. */
  readonly db?: string
  /** The key every partner holds and writes under. Default `collab`. */
  readonly keyId?: string
  /**
   * `password-blob`: `factory.createSymmetricEncryptedPrivateKey` + `keyBag.importKey` on every
   * tenant; `sealed`: the first tenant generates the key and seals it to the others
   * (`shareKey` / `acceptSharedKey`). Default `password-blob`.
   */
  readonly keyHandOff?: KeyHandOff
  /** Extra databases every partner links (but does not open). */
  readonly alsoLink?: readonly string[]
  readonly dbOptions?: Omit<DatabaseOptions, 'keyId'>
  readonly storeFactory?: StoreFactory
}

/** N tenants that are all partners of each other for one database and share one named key. */
export interface PartnerTenants {
  readonly factory: TenantFactory
  readonly tenants: Tenant[]
  readonly dbs: Database[]
  readonly dbName: string
  readonly keyId: string
  /** Password of each tenant (by index). */
  readonly passwords: string[]
  /** Closes tenant `i` and opens it again from its stored record; its database is reloaded from the store. */
  reopen(i: number): Promise<{ tenant: Tenant; db: Database }>
}

export const passwordOf = (id: string): string => `password of ${id}`
const KEY_PASSWORD = 'shared key password'

/** Builds {@link PartnerTenants}: each tenant trusts every other for `db`, and all hold `keyId`. */
export async function partnerTenants(options: PartnerTenantsOptions): Promise<PartnerTenants> {
  const dbName = options.db ?? 'shared'
  const keyId = options.keyId ?? 'collab'
  const links = [dbName, ...(options.alsoLink ?? [])]
  const factory = new TenantFactory({
    kdf: TEST_KDF,
    ...(options.storeFactory ? { storeFactory: options.storeFactory } : {}),
  })
  const passwords = options.ids.map(passwordOf)
  const tenants: Tenant[] = []
  for (const [i, id] of options.ids.entries())
    tenants.push(await factory.createTenant({ tenantId: id, password: passwords[i]! }))
  for (const t of tenants)
    for (const other of tenants) if (t !== other) await t.addPartner(other.publicProfile(), { dbs: links })
  await shareKey(factory, tenants, keyId, options.keyHandOff ?? 'password-blob')
  const dbOptions: DatabaseOptions = { ...options.dbOptions, keyId }
  const dbs = await Promise.all(tenants.map((t) => t.openDB(dbName, dbOptions)))
  return {
    factory,
    tenants,
    dbs,
    dbName,
    keyId,
    passwords,
    async reopen(i) {
      await tenants[i]!.close()
      const tenant = await factory.openTenant(options.ids[i]!, { password: passwords[i]! })
      const db = await tenant.openDB(dbName, dbOptions)
      tenants[i] = tenant
      dbs[i] = db
      return { tenant, db }
    },
  }
}

/** Gives every tenant the key `keyId`, the way partners hand keys to each other. */
export async function shareKey(
  factory: TenantFactory,
  tenants: readonly Tenant[],
  keyId: string,
  via: KeyHandOff,
): Promise<void> {
  if (via === 'password-blob') {
    const blob = await factory.createSymmetricEncryptedPrivateKey(KEY_PASSWORD)
    for (const t of tenants) await t.keyBag.importKey(keyId, blob, KEY_PASSWORD)
    return
  }
  const [first, ...rest] = tenants
  await first!.keyBag.generateKey(keyId)
  for (const t of rest) await t.acceptSharedKey(first!.shareKey(keyId, t.publicProfile()))
}

/** A lone tenant on its own factory (shares nothing with anyone yet). */
export async function loneTenant(
  id: string,
  storeFactory?: StoreFactory,
): Promise<{ factory: TenantFactory; tenant: Tenant }> {
  const factory = new TenantFactory({ kdf: TEST_KDF, ...(storeFactory ? { storeFactory } : {}) })
  return { factory, tenant: await factory.createTenant({ tenantId: id, password: passwordOf(id) }) }
}

/**
 * An in-memory store factory whose change stores take options chosen per store name
 * (`<tenant>/<db>`), e.g. a small entry-size limit or batch limit for one database only.
 */
export class ConfigurableStoreFactory extends MemoryStoreFactory {
  constructor(optionsFor: (name: string) => StoreOptions) {
    super({ storeOptions: optionsFor })
  }
}

/**
 * Waits until a database has materialised everything already queued for it (entries appended to
 * its store by a sync into the bare store are materialised in the background, in order).
 */
export async function settle(db: Database): Promise<void> {
  await db.syncStoreChanges([])
}
