import type { StoreFactory } from '@weft/core/backend'

/**
 * What the server needs from its storage to export and erase a tenant's change stores. The
 * server's own records of a tenant (registrations, usage, mailbox, catalogue) live in its
 * key-value store and are erased through it; this covers the change stores, which only the storage
 * can enumerate and drop. A storage that keeps a tenant in its own database or schema implements
 * `eraseTenant` as one drop.
 */
export interface TenantDataStore {
  /** The names of the tenant's databases that have a change store, sorted. */
  listDatabases(tenant: string): Promise<string[]>
  /** Erases every change store of the tenant: afterwards the storage holds nothing of them. */
  eraseTenant(tenant: string): Promise<void>
}

/** A store factory that can list and erase change stores by name (the LevelDB and memory factories can). */
export interface ErasableStoreFactory extends StoreFactory {
  changeStoreNames(prefix: string): Promise<string[]>
  eraseChangeStore(name: string): Promise<void>
}

/**
 * The tenant data store of a factory: the factory itself when it implements
 * {@link TenantDataStore}, an adapter over `changeStoreNames` / `eraseChangeStore` when it has
 * those, else undefined (then export and delete are refused).
 */
export function tenantDataOf(factory: StoreFactory): TenantDataStore | undefined {
  const f = factory as Partial<TenantDataStore & ErasableStoreFactory>
  if (typeof f.listDatabases === 'function' && typeof f.eraseTenant === 'function') return f as TenantDataStore
  if (typeof f.changeStoreNames !== 'function' || typeof f.eraseChangeStore !== 'function') return undefined
  const erasable = f as ErasableStoreFactory
  const prefix = (tenant: string) => `${tenant}/`
  return {
    async listDatabases(tenant) {
      // A name with another slash is a later generation's (`<tenant>/g<n>/<db>`), not a database of this one.
      return (await erasable.changeStoreNames(prefix(tenant)))
        .map((n) => n.slice(prefix(tenant).length))
        .filter((db) => !db.includes('/'))
    },
    async eraseTenant(tenant) {
      for (const name of await erasable.changeStoreNames(prefix(tenant))) await erasable.eraseChangeStore(name)
    },
  }
}
