import type { PostgresChangeStore } from './PostgresChangeStore.ts'
import type { PostgresKeyValueStore } from './PostgresKeyValueStore.ts'
import type { PostgresServerRecords } from './PostgresServerRecords.ts'
import { tenantOfStore } from './tenantOfStore.ts'

/** A record store a factory opened: a tenant's, or the server's own. */
export type OpenRecordStore = PostgresKeyValueStore | PostgresServerRecords

/**
 * The stores a factory has open, by name, so that every open of a name returns the same instance
 * while it is open, and closing a tenant or the factory closes what it holds.
 */
export class OpenStores {
  readonly #stores = new Map<string, Promise<PostgresChangeStore>>()
  readonly #records = new Map<string, OpenRecordStore>()
  readonly #checkOpen: () => void

  /** `checkOpen` throws once the factory is closing; it is run again after every wait. */
  constructor(checkOpen: () => void) {
    this.#checkOpen = checkOpen
  }

  /**
   * The change store `name`: the one open or being opened, else a new one from `open`. A store
   * that failed to open, or was closed meanwhile, is forgotten (and opened again).
   */
  async changeStore(name: string, open: () => Promise<PostgresChangeStore>): Promise<PostgresChangeStore> {
    for (;;) {
      let pending = this.#stores.get(name)
      if (!pending) {
        const opening = open()
        opening.catch(() => void (this.#stores.get(name) === opening && this.#stores.delete(name)))
        this.#stores.set(name, (pending = opening))
      }
      const store = await pending
      this.#checkOpen()
      if (!store.closed) return store
      if (this.#stores.get(name) === pending) this.#stores.delete(name)
    }
  }

  /** The record store `name` if it is open. */
  records(name: string): OpenRecordStore | undefined {
    const kv = this.#records.get(name)
    return kv && !kv.closed ? kv : undefined
  }

  /** Keeps a record store just opened, returned by {@link records} while it is open. */
  addRecords(name: string, kv: OpenRecordStore): void {
    this.#records.set(name, kv)
  }

  /** Closes a tenant's open stores and forgets them. */
  async closeTenant(tenant: string): Promise<void> {
    for (const [name, p] of [...this.#stores]) {
      if (tenantOfStore(name) !== tenant) continue
      this.#stores.delete(name)
      await (await p.catch(() => undefined))?.close()
    }
    for (const [name, kv] of [...this.#records]) {
      if (tenantOfStore(name) !== tenant) continue
      this.#records.delete(name)
      await kv.close()
    }
  }

  /** Closes every store opened (a change store that failed to open is skipped) and forgets them. */
  async closeAll(): Promise<void> {
    const stores = await Promise.allSettled(this.#stores.values())
    for (const s of stores) if (s.status === 'fulfilled') await s.value.close()
    for (const kv of this.#records.values()) await kv.close()
    this.#stores.clear()
    this.#records.clear()
  }
}
