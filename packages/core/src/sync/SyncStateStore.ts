import { packValue, unpackValue } from '../codec/index.ts'
import type { KeyValueStore } from '../store/index.ts'
import type { SyncState } from './SyncState.ts'

/**
 * Saved sync states, one per (source, target, database) relationship, so an incremental or
 * filtered sync resumes after a restart without re-sending. States hold only cursors and counts:
 * nothing secret.
 */
export class SyncStateStore {
  readonly #kv: KeyValueStore
  readonly #prefix: string

  constructor(kv: KeyValueStore, prefix: string) {
    this.#kv = kv
    this.#prefix = prefix
  }

  /** The saved state under `key`, or undefined (start from scratch). */
  async get(key: string): Promise<SyncState | undefined> {
    const bytes = await this.#kv.get(this.#prefix + key)
    if (!bytes) return undefined
    const state = unpackValue<SyncState>(bytes, 64 * 1024)
    return state?.v === 1 ? state : undefined
  }

  async put(key: string, state: SyncState): Promise<void> {
    await this.#kv.put(this.#prefix + key, packValue(state))
  }

  async delete(key: string): Promise<void> {
    await this.#kv.delete(this.#prefix + key)
  }

  /** Keys of every saved state. */
  async keys(): Promise<string[]> {
    return (await this.#kv.keys(this.#prefix)).map((k) => k.slice(this.#prefix.length))
  }
}
