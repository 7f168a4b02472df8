/**
 * A small key-value store for records beside the change stores: encrypted tenant records and
 * saved sync states. Values are opaque bytes; keys are strings.
 */
export interface KeyValueStore {
  get(key: string): Promise<Uint8Array | undefined>
  put(key: string, value: Uint8Array): Promise<void>
  delete(key: string): Promise<void>
  /** Keys that start with `prefix`, sorted. */
  keys(prefix?: string): Promise<string[]>
  close(): Promise<void>
  /**
   * Optional: up to `limit` records whose keys start with `prefix` and sort after `after` (when
   * given), in key order. Lets a caller page through many records without listing every key
   * first; without it, {@link readRecordPage} pages with `keys` and `get`.
   */
  entries?(prefix: string, page: RecordPageOptions): Promise<[string, Uint8Array][]>
  /**
   * Optional, for a store several processes share: reads and deletes `key` in one step, so of
   * processes taking the same key at once exactly one gets its value (a single-use record).
   * Without it, {@link takeRecord} does the same within one process.
   */
  take?(key: string): Promise<Uint8Array | undefined>
  /**
   * Optional, for a store several processes share: adds `delta` (a whole number) to the counter
   * `key` in one step and returns its new value (`delta` 0 reads it). Counters are a namespace of
   * their own: `get` does not see them. Without it, {@link addToCounter} counts within one process.
   */
  increment?(key: string, delta: number): Promise<number>
  /**
   * Optional, for a store several processes share: runs `fn` holding the lock `name`, which no
   * other caller in any process sharing the store holds meanwhile. Without it,
   * {@link exclusively} excludes within one process.
   */
  exclusive?<T>(name: string, fn: () => Promise<T>): Promise<T>
  /**
   * Optional, for a store several processes share: runs `fn` on the value of `key` holding the lock
   * `name` (the lock {@link exclusive} takes), and writes what `fn` returns (`undefined`: leaves the
   * record as it is) before letting go. A store that can reads the record as it takes the lock and
   * writes it as it lets go. Without it, {@link updateRecord} does the same in steps.
   */
  update?(
    name: string,
    key: string,
    fn: (value: Uint8Array | undefined) => Promise<Uint8Array | undefined>,
  ): Promise<void>
  /**
   * Optional, for a store several processes share: takes tokens from the bucket `key` (`rate`
   * tokens a second, holding at most `burst`), timed by the storage's own clock, in one step: as
   * many whole tokens as the bucket holds, up to `most` (at least 1). Resolves to how many it took
   * and, when it took none, the whole seconds (at least 1) until one is free. Without it,
   * {@link takeTokens} keeps the bucket within one process.
   */
  takeTokens?(key: string, limit: TokenLimit, most: number): Promise<TokensTaken>
}

/** A token bucket's refill: `rate` tokens a second (`Infinity`: no limit), holding at most `burst`. */
export interface TokenLimit {
  readonly rate: number
  readonly burst: number
}

/** What a take from a token bucket got. */
export interface TokensTaken {
  /** Tokens taken, 0 when the bucket held no whole token. */
  readonly taken: number
  /** With none taken, the whole seconds (at least 1) until one is free; else 0. */
  readonly wait: number
}

/** Which page of records {@link KeyValueStore.entries} reads. */
export interface RecordPageOptions {
  /** Only keys sorting after this one. */
  readonly after?: string
  readonly limit: number
}

/**
 * Up to `limit` records whose keys start with `prefix` and sort after `after`, in key order: the
 * store's own `entries` when it has one, else its `keys` then one `get` per key.
 */
export async function readRecordPage(
  kv: KeyValueStore,
  prefix: string,
  page: RecordPageOptions,
): Promise<[string, Uint8Array][]> {
  const limit = Math.max(1, Math.floor(page.limit))
  if (kv.entries) return kv.entries(prefix, { ...page, limit })
  const keys = (await kv.keys(prefix)).filter((k) => page.after === undefined || k > page.after).slice(0, limit)
  const out: [string, Uint8Array][] = []
  for (const k of keys) {
    const value = await kv.get(k)
    if (value) out.push([k, value])
  }
  return out
}

/** Key-value store in memory. */
export class MemoryKeyValueStore implements KeyValueStore {
  readonly #map = new Map<string, Uint8Array>()

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.#map.get(key)?.slice()
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    this.#map.set(key, new Uint8Array(value))
  }

  async delete(key: string): Promise<void> {
    this.#map.delete(key)
  }

  async keys(prefix = ''): Promise<string[]> {
    return [...this.#map.keys()].filter((k) => k.startsWith(prefix)).sort()
  }

  async entries(prefix: string, page: RecordPageOptions): Promise<[string, Uint8Array][]> {
    const keys = (await this.keys(prefix)).filter((k) => page.after === undefined || k > page.after)
    return keys.slice(0, page.limit).map((k) => [k, this.#map.get(k)!.slice()])
  }

  async close(): Promise<void> {}
}
