import { packValue, unpackValue, type KeyValueStore } from '@weft/core/backend'

/**
 * Where a tenant's data lives on the server: its databases, usage records and mailbox are kept
 * under a storage name, the tenant id at first and `<tenant>/g<n>` after its n-th reset (a tenant
 * id holds no `/`, so no two names meet). A reset moves the tenant to a new generation, so
 * nothing it held before is reachable again, whoever registers the id next.
 */
export class TenantGenerations {
  readonly #kv: KeyValueStore
  /** Generations read, by tenant (tenants that have a session, or were reset, only). */
  readonly #cache = new Map<string, number>()

  constructor(kv: KeyValueStore) {
    this.#kv = kv
  }

  /** The storage name of `tenant`'s data now. */
  async storageName(tenant: string): Promise<string> {
    let g = this.#cache.get(tenant)
    if (g === undefined) {
      const raw = await this.#kv.get(`generation/${tenant}`)
      g = raw ? unpackValue<number>(raw, 64) : 0
      if (this.#cache.size >= 100_000) this.#cache.clear()
      this.#cache.set(tenant, g)
    }
    return g === 0 ? tenant : `${tenant}/g${g}`
  }

  /** Forgets the generation read of `tenant` (another process may have moved it). */
  invalidate(tenant: string): void {
    this.#cache.delete(tenant)
  }

  /** Moves `tenant` to a new, empty generation; resolves to its storage name. */
  async next(tenant: string): Promise<string> {
    const g = (await this.#read(tenant)) + 1
    await this.#kv.put(`generation/${tenant}`, packValue(g))
    this.#cache.set(tenant, g)
    return `${tenant}/g${g}`
  }

  /** The storage names of every generation `tenant` ever had, the current one last (for erasing all of them). */
  async allStorageNames(tenant: string): Promise<string[]> {
    const g = await this.#read(tenant)
    return [tenant, ...Array.from({ length: g }, (_, i) => `${tenant}/g${i + 1}`)]
  }

  /** Forgets the tenant's generations (after every one of them was erased): a new tenant of the id starts at 0. */
  async forget(tenant: string): Promise<void> {
    await this.#kv.delete(`generation/${tenant}`)
    this.#cache.delete(tenant)
  }

  async #read(tenant: string): Promise<number> {
    const raw = await this.#kv.get(`generation/${tenant}`)
    return raw ? unpackValue<number>(raw, 64) : 0
  }
}
