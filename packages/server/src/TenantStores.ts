import { BaseChangeStore, type ChangeStore, type StoreFactory } from '@weft/core/backend'

/** The change stores the server opened, one per (tenant, database), named `<tenant>/<db>`. */
export class TenantStores {
  readonly #factory: StoreFactory
  readonly #open = new Map<string, Promise<ChangeStore>>()

  constructor(factory: StoreFactory) {
    this.#factory = factory
  }

  open(tenant: string, db: string): Promise<ChangeStore> {
    const name = `${tenant}/${db}`
    let p = this.#open.get(name)
    if (!p) {
      p = this.#factory.openChangeStore(name)
      this.#open.set(name, p)
      p.catch(() => this.#open.delete(name))
    }
    return p
  }

  /** Forgets the stores of `tenant` (erased): the next open opens them again. */
  forget(tenant: string): void {
    for (const name of this.#open.keys()) if (name.startsWith(`${tenant}/`)) this.#open.delete(name)
  }

  /** How many append listeners the open stores have, all together (live subscriptions hold one each). */
  async listenerCount(): Promise<number> {
    let n = 0
    for (const p of this.#open.values()) {
      const s = await p.catch(() => undefined)
      if (s instanceof BaseChangeStore) n += s.listenerCount
    }
    return n
  }
}
