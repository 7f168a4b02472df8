import { packValue, unpackValue } from '../codec/index.ts'
import type { ErrorCode } from '../errors.ts'
import type { KeyValueStore } from '../store/index.ts'

/** A sync failure as status and saved state report it. */
export interface SyncErrorInfo {
  readonly code: ErrorCode
  readonly message: string
  /** When it happened, by the orchestrator's clock. */
  readonly at: number
}

/** Saved counters of one database of a relationship. */
export interface SavedDatabaseState {
  readonly lastSyncAt: number | null
  readonly lastError: SyncErrorInfo | null
  /** Entries sent to the partner, in total. */
  readonly sent: number
  /** Entries received from the partner, in total. */
  readonly received: number
}

/** What survives a restart of a relationship besides its cursors. */
export interface SavedRelationship {
  readonly v: 1
  readonly partner: string
  readonly enabled: boolean
  readonly failures: number
  readonly lastSyncAt: number | null
  readonly lastError: SyncErrorInfo | null
  /** Keyed by local database name. */
  readonly databases: Readonly<Record<string, SavedDatabaseState>>
}

/**
 * Saved relationship states of one tenant, in its storage backend, so counters, the enabled flag
 * and the last error survive a restart. Nothing secret is kept here.
 */
export class RelationshipStateStore {
  readonly #kv: KeyValueStore
  readonly #prefix: string

  constructor(kv: KeyValueStore, prefix: string) {
    this.#kv = kv
    this.#prefix = prefix
  }

  async get(relationshipId: string): Promise<SavedRelationship | undefined> {
    const bytes = await this.#kv.get(this.#prefix + relationshipId)
    if (!bytes) return undefined
    try {
      const saved = unpackValue<SavedRelationship>(bytes, 1024 * 1024)
      return saved?.v === 1 && typeof saved.partner === 'string' && typeof saved.databases === 'object'
        ? saved
        : undefined
    } catch {
      return undefined // unreadable state: start afresh rather than refuse to run
    }
  }

  async put(relationshipId: string, state: SavedRelationship): Promise<void> {
    await this.#kv.put(this.#prefix + relationshipId, packValue(state))
  }

  async delete(relationshipId: string): Promise<void> {
    await this.#kv.delete(this.#prefix + relationshipId)
  }

  /** Ids of every saved relationship. */
  async ids(): Promise<string[]> {
    return (await this.#kv.keys(this.#prefix)).map((k) => k.slice(this.#prefix.length))
  }
}
