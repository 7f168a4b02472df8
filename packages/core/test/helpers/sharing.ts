import {
  MemoryStoreFactory,
  TenantFactory,
  TEST_KDF,
  type Database,
  type Tenant,
  type TenantScope,
} from '../../src/index.ts'

/** A clock tests move by hand. */
export interface ManualClock {
  (): number
  set(ms: number): void
  advance(ms: number): void
}

export function manualClock(start = Date.UTC(2030, 0, 1)): ManualClock {
  let now = start
  const clock = (() => now) as ManualClock
  clock.set = (ms) => void (now = ms)
  clock.advance = (ms) => void (now += ms)
  return clock
}

export interface SharingSetup {
  readonly storeFactory: MemoryStoreFactory
  readonly factory: TenantFactory
  readonly clock: ManualClock
  readonly source: Tenant
  readonly partner: Tenant
  /** The source's database `db`, written under the named key `key`. */
  readonly sourceDb: Database
  readonly partnerDb: Database
}

/**
 * A source and a partner tenant on one storage factory and one manual clock; the source's
 * database writes under a named key (grants never share `default`).
 */
export async function sharingSetup(
  options: { source?: string | TenantScope; partner?: string | TenantScope; db?: string; key?: string } = {},
): Promise<SharingSetup> {
  const storeFactory = new MemoryStoreFactory()
  const factory = new TenantFactory({ storeFactory, kdf: TEST_KDF })
  const clock = manualClock()
  const source = await factory.createTenant({ tenantId: options.source ?? 'source-org', password: 'pw-source' })
  const partner = await factory.createTenant({ tenantId: options.partner ?? 'partner-org', password: 'pw-partner' })
  source.setClock(clock)
  partner.setClock(clock)
  const db = options.db ?? 'shared'
  const key = options.key ?? 'shared-key'
  await source.keyBag.generateKey(key)
  const sourceDb = await source.openDB(db, { keyId: key })
  const partnerDb = await partner.openDB(db)
  return { storeFactory, factory, clock, source, partner, sourceDb, partnerDb }
}

/** Every entry hash a database's store holds, sorted. */
export async function hashesOf(db: Database): Promise<string[]> {
  return (await db.getStore().getAllChangeHashes()).sort()
}
