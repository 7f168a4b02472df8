import { packValue, unpackValue, type Cursor, type KeyValueStore } from '@weft/core/backend'

/**
 * Where a live sync saves its server cursor: how far the server's entries are durable in the local
 * store. Each connection subscribes from it, so that only entries after it are sent (the fast path).
 */
export class ServerCursor {
  readonly #kv: KeyValueStore
  readonly #key: string

  constructor(kv: KeyValueStore, key: string) {
    this.#kv = kv
    this.#key = key
  }

  /** The saved cursor; null when none was saved yet. */
  async load(): Promise<Cursor | null> {
    const bytes = await this.#kv.get(this.#key)
    return bytes ? unpackValue<Cursor>(bytes, 1024) : null
  }

  /** Saves `cursor`, once every entry before it is durable in the local store. */
  save(cursor: Cursor): Promise<void> {
    return this.#kv.put(this.#key, packValue(cursor))
  }
}
