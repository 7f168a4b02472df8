import { ErrorCodes, WeftError, type StoreFactory, type StoreOptions } from '@weft/core'
import { Level } from 'level'
import { LevelChangeStore } from './LevelChangeStore.ts'
import { LevelKeyValueStore } from './LevelKeyValueStore.ts'
import { listStores, type StoreList } from './listStores.ts'
import { storageCall } from './storageError.ts'
import { StoreLayout, type LevelDatabase } from './StoreLayout.ts'
import { checkStoreIntegrity, type IntegrityOptions, type IntegrityReport } from './checkStoreIntegrity.ts'
import { storeNameOf, sublevelName } from './sublevelName.ts'

interface CommonOptions {
  /**
   * fsync every write before it resolves. Without it, whatever a store reported written
   * survives a process crash, but an OS crash or power cut may lose the newest writes. Costs
   * little for large batches and about a millisecond for each single-entry write. Default false.
   */
  readonly sync?: boolean
  /** Options for every change store it opens (entry limits, most entries per append). */
  readonly storeOptions?: StoreOptions
}

/**
 * Where a {@link LevelStoreFactory} keeps its data: a folder (one LevelDB database, created if
 * missing, closed by the factory), or a Level database you opened and close yourself.
 */
export type LevelStoreFactoryOptions =
  | (CommonOptions & { readonly path: string; readonly db?: undefined })
  | (CommonOptions & { readonly db: LevelDatabase; readonly path?: undefined })

/**
 * Keeps every store of a `TenantFactory` in one LevelDB database: each change store and
 * record store in its own sublevel. Opening the same name again returns the same instance while
 * it is open, so every writer in this process shares one arrival counter. LevelDB locks the
 * folder: a second factory (in this process or another) on the same folder fails with
 * `WEFT_STORAGE_ERROR`, as does any other failure of the database.
 */
export class LevelStoreFactory implements StoreFactory {
  readonly #path: string | undefined
  readonly #given: LevelDatabase | undefined
  readonly #sync: boolean
  readonly #storeOptions: StoreOptions
  readonly #stores = new Map<string, Promise<LevelChangeStore>>()
  readonly #records = new Map<string, LevelKeyValueStore>()
  #db: Promise<LevelDatabase> | undefined
  #closing: Promise<void> | undefined

  constructor(options: LevelStoreFactoryOptions) {
    if (typeof options?.path === 'string' ? options.path.length === 0 || options.db : !options?.db) {
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'LevelStoreFactory takes either a non-empty path or a db')
    }
    this.#path = options.path
    this.#given = options.db
    this.#sync = options.sync ?? false
    this.#storeOptions = options.storeOptions ?? {}
  }

  /** The folder it was given, if it was given one. */
  get path(): string | undefined {
    return this.#path
  }

  /**
   * The change store `name` (by convention `<tenant>/<db>`), created on first use. While it is
   * open, every call returns the same instance; once its holder closes it, the next call opens
   * the same data again.
   */
  async openChangeStore(name: string): Promise<LevelChangeStore> {
    this.#checkOpen()
    const opening = this.#database().then((db) =>
      LevelChangeStore.open(db, name, { ...this.#storeOptions, sync: this.#sync }),
    )
    this.#stores.set(name, opening)
    const store = await opening
    this.#checkOpen()
    return store
  }

  /** Checks that the parts of change store `name` agree (see {@link checkStoreIntegrity}). */
  async checkIntegrity(name: string, options: IntegrityOptions = {}): Promise<IntegrityReport> {
    this.#checkOpen()
    return checkStoreIntegrity(new StoreLayout(await this.#database(), name), options)
  }

  /** The record store `name`, created on first use; the same instance while it is open. */
  async openKeyValueStore(name: string): Promise<LevelKeyValueStore> {
    this.#checkOpen()
    const db = await this.#database()
    this.#checkOpen()
    let kv = this.#records.get(name)
    if (!kv || kv.closed) this.#records.set(name, (kv = LevelKeyValueStore.open(db, name, { sync: this.#sync })))
    return kv
  }

  /**
   * The names of the change stores in the database that start with `prefix` (say `<tenant>/`),
   * sorted; each costs one seek, whatever the stores hold.
   */
  async changeStoreNames(prefix: string): Promise<string[]> {
    this.#checkOpen()
    const stores = (await this.#database()).sublevel<string, Uint8Array>('weft-store', {
      keyEncoding: 'utf8',
      valueEncoding: 'view',
    })
    const names: string[] = []
    // Keys are `!<sublevel name>!!<part>!<key>`; escaped names never hold `!` or `"`.
    // The escaped form of a prefix is a prefix of the escaped names (`sublevelName('')` is a special case).
    const escapedPrefix = prefix === '' ? '' : sublevelName(prefix)
    let from = { gte: `!${escapedPrefix}` }
    for (;;) {
      const [key] = await storageCall('listing change stores', () =>
        stores.keys({ ...from, lt: `!${escapedPrefix}\uffff`, limit: 1 }).all(),
      )
      if (key === undefined) return names.sort()
      const escaped = key.slice(1, key.indexOf('!', 1))
      const name = storeNameOf(escaped)
      if (name !== undefined) names.push(name)
      from = { gte: `!${escaped}"` }
    }
  }

  /**
   * Erases the change store `name`: closes it if it is open here and deletes every record of it
   * (entries, indexes, meta) in one range delete, then compacts that range so the deleted records
   * leave LevelDB's files too. Opening it again makes a new, empty store.
   */
  async eraseChangeStore(name: string): Promise<void> {
    this.#checkOpen()
    const open = this.#stores.get(name)
    this.#stores.delete(name)
    const store = await open?.catch(() => undefined)
    await store?.close()
    const db = await this.#database()
    const sub = db.sublevel<string, Uint8Array>(['weft-store', sublevelName(name)], {
      keyEncoding: 'utf8',
      valueEncoding: 'view',
    })
    await storageCall(`erasing change store ${name}`, () => sub.clear())
    // Deleted keys stay in LevelDB's files until a compaction rewrites them: compact the range now.
    const compact = (db as { compactRange?: (start: string, end: string) => Promise<void> }).compactRange
    if (typeof compact === 'function')
      await storageCall(`compacting erased store ${name}`, () => compact.call(db, sub.prefix, `${sub.prefix}\uffff`))
  }

  /** The names of the change stores and record stores in the database (for copying it elsewhere). */
  async listStores(): Promise<StoreList> {
    this.#checkOpen()
    return listStores(await this.#database())
  }

  /** Closes every store it opened, then the database (unless it was given one). Idempotent. */
  close(): Promise<void> {
    return (this.#closing ??= this.#closeAll())
  }

  async #closeAll(): Promise<void> {
    // Stores still opening are awaited, so none is left open behind a closed factory.
    const stores = await Promise.allSettled(this.#stores.values())
    for (const s of stores) if (s.status === 'fulfilled') await s.value.close()
    for (const kv of [...this.#records.values()]) await kv.close()
    this.#stores.clear()
    this.#records.clear()
    const db = await this.#db?.catch(() => undefined)
    if (db && !this.#given) await storageCall(`closing LevelDB at ${this.#path}`, () => db.close())
  }

  #database(): Promise<LevelDatabase> {
    if (!this.#db) {
      const opening = this.#openDatabase()
      this.#db = opening
      // A failed open (lock held, bad path) may succeed later: do not keep the failure.
      opening.catch(() => void (this.#db === opening && (this.#db = undefined)))
    }
    return this.#db
  }

  async #openDatabase(): Promise<LevelDatabase> {
    const given = this.#given
    if (given) {
      if (given.status === 'opening') await storageCall('opening the given Level database', () => given.open())
      if (given.status !== 'open')
        throw new WeftError(ErrorCodes.STORAGE_ERROR, `the given Level database is ${given.status}`)
      return given
    }
    const db: LevelDatabase = new Level<string, Uint8Array>(this.#path!, { keyEncoding: 'utf8', valueEncoding: 'view' })
    await storageCall(`opening LevelDB at ${this.#path}`, () => db.open())
    return db
  }

  #checkOpen(): void {
    if (this.#closing) throw new WeftError(ErrorCodes.CLOSED, 'store factory is closed')
  }
}
