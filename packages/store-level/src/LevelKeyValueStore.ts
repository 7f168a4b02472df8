import { ErrorCodes, WeftError, type KeyValueStore, type RecordPageOptions } from '@weft/core/backend'
import { guardedWrite, writeBatch } from './guardedWrite.ts'
import { storageCall } from './storageError.ts'
import { sublevelName } from './sublevelName.ts'
import type { LevelDatabase, Sublevel } from './StoreLayout.ts'

/** Options of {@link LevelKeyValueStore.open}. */
export interface LevelKeyValueStoreOptions {
  /** fsync every write before it resolves (see `LevelChangeStore`). Default false. */
  readonly sync?: boolean
}

/**
 * Records beside the change stores (encrypted tenant records, sync states), in the sublevel
 * `weft-kv/<name>/` of a Level database. Every `level` failure becomes a typed `WeftError`.
 */
export class LevelKeyValueStore implements KeyValueStore {
  readonly #db: LevelDatabase
  readonly #sub: Sublevel<Uint8Array>
  readonly #name: string
  readonly #sync: boolean
  #closed = false

  private constructor(db: LevelDatabase, sub: Sublevel<Uint8Array>, name: string, options: LevelKeyValueStoreOptions) {
    this.#db = db
    this.#sub = sub
    this.#name = name
    this.#sync = options.sync ?? false
  }

  /** The record store `name` in `db` (an open Level database). */
  static open(db: LevelDatabase, name: string, options: LevelKeyValueStoreOptions = {}): LevelKeyValueStore {
    const sub = db.sublevel<string, Uint8Array>(['weft-kv', sublevelName(name)], {
      keyEncoding: 'utf8',
      valueEncoding: 'view',
    })
    return new LevelKeyValueStore(db, sub, name, options)
  }

  get closed(): boolean {
    return this.#closed
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    this.#open()
    const value = await storageCall(`reading ${this.#name}`, () => this.#sub.get(key))
    return value && new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    this.#open()
    await guardedWrite(this.#db, `writing ${this.#name}`, () =>
      writeBatch(this.#db, [{ type: 'put', sublevel: this.#sub, key, value }], this.#sync),
    )
  }

  async delete(key: string): Promise<void> {
    this.#open()
    await guardedWrite(this.#db, `writing ${this.#name}`, () =>
      writeBatch(this.#db, [{ type: 'del', sublevel: this.#sub, key }], this.#sync),
    )
  }

  async keys(prefix = ''): Promise<string[]> {
    this.#open()
    return storageCall(`reading ${this.#name}`, async () => {
      const out: string[] = []
      for await (const key of this.#sub.keys(prefix ? { gte: prefix } : {})) {
        if (!key.startsWith(prefix)) break
        out.push(key)
      }
      return out
    })
  }

  async entries(prefix: string, page: RecordPageOptions): Promise<[string, Uint8Array][]> {
    this.#open()
    return storageCall(`reading ${this.#name}`, async () => {
      const out: [string, Uint8Array][] = []
      const from = page.after !== undefined && page.after >= prefix ? { gt: page.after } : { gte: prefix }
      for await (const [key, value] of this.#sub.iterator({ ...from, limit: page.limit })) {
        if (!key.startsWith(prefix)) break
        out.push([key, new Uint8Array(value.buffer, value.byteOffset, value.byteLength)])
      }
      return out
    })
  }

  async close(): Promise<void> {
    this.#closed = true
  }

  #open(): void {
    if (this.#closed) throw new WeftError(ErrorCodes.CLOSED, `record store ${this.#name} is closed`)
  }
}
