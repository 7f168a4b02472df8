import type { ChangeStore, KeyValueStore, StoreFactory } from '@weft/core/backend'
import { IdbChangeStore, type IdbChangeStoreOptions } from './IdbChangeStore.ts'
import { IdbKeyValueStore } from './IdbKeyValueStore.ts'
import { openWeftIdb, type WeftIdb } from './openWeftIdb.ts'
import { toStorageError } from './toStorageError.ts'

/** Options of {@link IdbStoreFactory}. */
export interface IdbStoreFactoryOptions extends IdbChangeStoreOptions {
  /** Name of the IndexedDB database that holds every store of this factory. */
  readonly name: string
}

/**
 * Keeps a {@link TenantFactory}'s data in one IndexedDB database: every change store and record
 * store lives in it under its own name. Opening a name again returns the same store while it is
 * open. The connection opens on first use; {@link IdbStoreFactory.close} closes every store and
 * the connection, and a later `open…` call opens them again.
 */
export class IdbStoreFactory implements StoreFactory {
  readonly #options: IdbStoreFactoryOptions
  readonly #stores = new Map<string, Promise<IdbChangeStore>>()
  readonly #records = new Map<string, IdbKeyValueStore>()
  #db: Promise<WeftIdb> | undefined

  constructor(options: IdbStoreFactoryOptions) {
    this.#options = options
  }

  /** The IndexedDB database name. */
  get name(): string {
    return this.#options.name
  }

  async openChangeStore(name: string): Promise<ChangeStore> {
    for (;;) {
      let pending = this.#stores.get(name)
      if (!pending) {
        const opening = this.#database().then((db) => IdbChangeStore.open(db, name, this.#options))
        this.#stores.set(name, (pending = opening))
        opening.catch(() => this.#forget(name, opening))
      }
      const store = await pending
      if (!store.closed) return store
      this.#forget(name, pending)
    }
  }

  async openKeyValueStore(name: string): Promise<KeyValueStore> {
    const db = await this.#database()
    let records = this.#records.get(name)
    if (!records || records.closed) this.#records.set(name, (records = new IdbKeyValueStore(db, name)))
    return records
  }

  async close(): Promise<void> {
    const stores = [...this.#stores.values()]
    const records = [...this.#records.values()]
    const db = this.#db
    this.#stores.clear()
    this.#records.clear()
    this.#db = undefined
    const opened = await Promise.allSettled(stores)
    await Promise.all(opened.map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)))
    await Promise.all(records.map((r) => r.close()))
    const connection = await db?.catch(() => undefined)
    connection?.close()
  }

  #database(): Promise<WeftIdb> {
    if (!this.#db) {
      const opening = openWeftIdb(this.#options.name).catch((err: unknown) => {
        if (this.#db === opening) this.#db = undefined
        throw toStorageError(err, `open IndexedDB database ${this.#options.name}`)
      })
      this.#db = opening
    }
    return this.#db
  }

  #forget(name: string, pending: Promise<IdbChangeStore>): void {
    if (this.#stores.get(name) === pending) this.#stores.delete(name)
  }
}
