import { ErrorCodes, WeftError, type KeyValueStore, type RecordPageOptions } from '@weft/core/backend'
import type { IDBPObjectStore } from 'idb'
import { exactBytes } from './exactBytes.ts'
import { prefixKeyRange, prefixKeyRangeAfter } from './keyRanges.ts'
import type { WeftIdb, WeftIdbSchema } from './openWeftIdb.ts'
import { toStorageError } from './toStorageError.ts'

/**
 * A record store (tenant records, sync states) in a Weft IndexedDB database. Several share the
 * `records` object store, each under its own name. Writes are `strict` transactions: a `put` is
 * on disk when it resolves.
 */
export class IdbKeyValueStore implements KeyValueStore {
  readonly #db: WeftIdb
  readonly #name: string
  #closed = false

  /** The record store `name` inside an open Weft IndexedDB database; it does not close `db`. */
  constructor(db: WeftIdb, name: string) {
    this.#db = db
    this.#name = name
  }

  get closed(): boolean {
    return this.#closed
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.#run('readonly', `read record ${key}`, (records) => records.get([this.#name, key]))
  }

  put(key: string, value: Uint8Array): Promise<void> {
    return this.#run('readwrite', `write record ${key}`, async (records) => {
      await records.put(exactBytes(value), [this.#name, key])
    })
  }

  delete(key: string): Promise<void> {
    return this.#run('readwrite', `delete record ${key}`, (records) => records.delete([this.#name, key]))
  }

  keys(prefix = ''): Promise<string[]> {
    return this.#run('readonly', 'list records', async (records) => {
      const keys = await records.getAllKeys(prefixKeyRange(this.#name, prefix))
      return keys.map((k) => k[1])
    })
  }

  entries(prefix: string, page: RecordPageOptions): Promise<[string, Uint8Array][]> {
    return this.#run('readonly', 'list records', async (records) => {
      const range = prefixKeyRangeAfter(this.#name, prefix, page.after)
      if (!range) return []
      const [keys, values] = await Promise.all([
        records.getAllKeys(range, page.limit),
        records.getAll(range, page.limit),
      ])
      return keys.map((k, i): [string, Uint8Array] => [k[1], values[i]!])
    })
  }

  async close(): Promise<void> {
    this.#closed = true
  }

  async #run<M extends IDBTransactionMode, T>(
    mode: M,
    action: string,
    fn: (records: IDBPObjectStore<WeftIdbSchema, ['records'], 'records', M>) => Promise<T>,
  ): Promise<T> {
    if (this.#closed) throw new WeftError(ErrorCodes.CLOSED, 'record store is closed')
    try {
      const tx = this.#db.transaction('records', mode, { durability: 'strict' })
      const [value] = await Promise.all([fn(tx.objectStore('records')), tx.done])
      return value
    } catch (err) {
      throw toStorageError(err, action)
    }
  }
}
