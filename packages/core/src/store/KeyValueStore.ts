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

  async close(): Promise<void> {}
}
