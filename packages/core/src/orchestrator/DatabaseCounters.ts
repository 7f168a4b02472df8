import type { DbLink } from '../tenant/index.ts'
import type { DbName } from '../types.ts'
import type { TransferPlan } from './Relationship.ts'
import type { SavedDatabaseState, SavedRelationship, SyncErrorInfo } from './RelationshipStateStore.ts'
import type { DatabaseSyncStatus } from './status.ts'

interface DbCounters {
  lastSyncAt: number | null
  lastError: SyncErrorInfo | null
  sent: number
  received: number
  lastSent: number
  lastReceived: number
}

/**
 * The books a relationship keeps per local database: when it last synced, its last error, and the
 * entries moved in total and in the last round that moved any.
 */
export class DatabaseCounters {
  readonly #counters = new Map<DbName, DbCounters>()

  /** Starts each database of `links` from what was saved for it, if anything. */
  constructor(links: readonly DbLink[], saved: SavedRelationship | undefined) {
    for (const link of links) {
      const c = saved?.databases[link.local]
      this.#counters.set(link.local, {
        lastSyncAt: c?.lastSyncAt ?? null,
        lastError: c?.lastError ?? null,
        sent: c?.sent ?? 0,
        received: c?.received ?? 0,
        lastSent: 0,
        lastReceived: 0,
      })
    }
  }

  /** Books a round that found nothing new. */
  idle(now: number): void {
    for (const c of this.#counters.values()) c.lastSyncAt = now
  }

  /**
   * Books a successful round: per database, what moved. True when what is saved changed (entries
   * moved, or an error was cleared).
   */
  succeeded(now: number, moved: ReadonlyMap<TransferPlan, number>): boolean {
    let changed = false
    const touched = new Set<DbName>()
    for (const [plan, sent] of moved) {
      if (sent === 0) continue
      const c = this.#counters.get(plan.link.local)!
      if (!touched.has(plan.link.local)) {
        touched.add(plan.link.local)
        c.lastSent = 0
        c.lastReceived = 0
      }
      if (plan.direction === 'push') {
        c.sent += sent
        c.lastSent += sent
      } else {
        c.received += sent
        c.lastReceived += sent
      }
    }
    for (const c of this.#counters.values()) {
      if (c.lastError) changed = true
      c.lastSyncAt = now
      c.lastError = null
    }
    return changed || touched.size > 0
  }

  /** Books a failed round's error on `db`, or on every database when `db` is undefined. */
  failed(info: SyncErrorInfo, db: DbName | undefined): void {
    for (const [name, c] of this.#counters) if (db === undefined || db === name) c.lastError = info
  }

  /** The counters to save, keyed by local database name. */
  saved(): Record<string, SavedDatabaseState> {
    const databases: Record<string, SavedDatabaseState> = {}
    for (const [name, c] of this.#counters)
      databases[name] = { lastSyncAt: c.lastSyncAt, lastError: c.lastError, sent: c.sent, received: c.received }
    return databases
  }

  /** The status of one database; `plans` are the relationship's transfers (this link's are picked out). */
  status(link: DbLink, plans: readonly TransferPlan[]): DatabaseSyncStatus {
    const c = this.#counters.get(link.local)!
    const own = plans.filter((p) => p.link === link)
    return {
      db: link.local,
      remoteDb: link.remote,
      lastSyncAt: c.lastSyncAt,
      lastError: c.lastError,
      sent: c.sent,
      received: c.received,
      lastSent: c.lastSent,
      lastReceived: c.lastReceived,
      upToDate: c.lastError === null && c.lastSyncAt !== null && own.every((p) => !p.dirty),
    }
  }
}
