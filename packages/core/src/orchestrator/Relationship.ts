import type { Database } from '../db/index.ts'
import type { WeftError } from '../errors.ts'
import { initialSyncState, storeOf, type SyncState, type SyncStateStore, type SyncTarget } from '../sync/index.ts'
import type { DbLink } from '../tenant/index.ts'
import type { DbName } from '../types.ts'
import type { RelationshipStateStore, SavedRelationship, SyncErrorInfo } from './RelationshipStateStore.ts'
import type {
  DatabaseSyncStatus,
  RelationshipDatabase,
  RelationshipOptions,
  RelationshipStatus,
  TransferLag,
} from './status.ts'
import type { ChangeStore } from '../store/index.ts'
import { DatabaseCounters } from './DatabaseCounters.ts'
import { environmentOf } from './environmentOf.ts'
import { relationshipLinks } from './relationshipLinks.ts'
import { transferDue } from './transferDue.ts'
import type { LocalSyncPeer, SyncDirection, SyncPeer, SyncRequest, Transfer } from './SyncPeer.ts'

/** One direction of one database of a relationship, with its saved cursor. */
export interface TransferPlan {
  /** Index into the relationship's transfers (and a permit's filters). */
  readonly index: number
  readonly transfer: Transfer
  readonly direction: 'push' | 'pull'
  readonly link: DbLink
  /** Key of its cursor in the local tenant's sync states. */
  readonly stateKey: string
  state: SyncState
  /** Set when an entry arrives in the sending store; cleared when a transfer starts. */
  dirty: boolean
  /** The sending store, once the databases are open. */
  sourceStore?: ChangeStore
}

/** The databases of one link, opened (the partner's may be a bare store on a relay). */
export interface OpenLink {
  readonly local: Database
  readonly remote: SyncTarget
}

/** What a relationship is: its peers, databases and options. */
interface RelationshipDefinition {
  readonly id: string
  readonly local: LocalSyncPeer
  readonly partner: SyncPeer
  readonly links: readonly DbLink[]
  readonly options: RelationshipOptions
  readonly direction: SyncDirection
}

/**
 * A relationship's definition and live state: transfers and their cursors, counters, failures,
 * schedule. The orchestrator runs its rounds; this class only keeps the books.
 */
export class Relationship {
  readonly id: string
  readonly local: LocalSyncPeer
  readonly partner: SyncPeer
  readonly links: readonly DbLink[]
  readonly options: RelationshipOptions
  readonly direction: SyncDirection
  readonly plans: readonly TransferPlan[]
  enabled: boolean
  failures: number
  lastSyncAt: number | null
  lastError: SyncErrorInfo | null
  nextRunAt: number
  syncing = false
  /** The round running or queued now. */
  inFlight: Promise<unknown> | undefined
  readonly #counters: DatabaseCounters
  readonly #syncStates: SyncStateStore
  readonly #saved: RelationshipStateStore
  #open: Promise<OpenLink[]> | undefined
  /** The opened databases, once opening succeeded. */
  opened: OpenLink[] | undefined
  #request: SyncRequest | undefined
  readonly #unsubscribe: (() => void)[] = []
  #persistNeeded = false

  private constructor(
    init: RelationshipDefinition,
    stores: { syncStates: SyncStateStore; saved: RelationshipStateStore },
    saved: SavedRelationship | undefined,
    cursors: Map<string, SyncState>,
    now: number,
  ) {
    this.id = init.id
    this.local = init.local
    this.partner = init.partner
    this.links = init.links
    this.options = init.options
    this.direction = init.direction
    this.#syncStates = stores.syncStates
    this.#saved = stores.saved
    this.enabled = saved?.enabled ?? init.options.enabled ?? true
    this.failures = saved?.failures ?? 0
    this.lastSyncAt = saved?.lastSyncAt ?? null
    this.lastError = saved?.lastError ?? null
    this.nextRunAt = now
    this.#persistNeeded = saved === undefined
    this.#counters = new DatabaseCounters(this.links, saved)
    const plans: TransferPlan[] = []
    for (const link of this.links) {
      for (const direction of ['push', 'pull'] as const) {
        if (this.direction !== 'both' && this.direction !== direction) continue
        const localEnd = { tenant: this.local.id, db: link.local }
        const remoteEnd = { tenant: this.partner.id, db: link.remote }
        const stateKey = cursorKey(this.id, link, direction)
        plans.push({
          index: plans.length,
          transfer: direction === 'push' ? { from: localEnd, to: remoteEnd } : { from: remoteEnd, to: localEnd },
          direction,
          link,
          stateKey,
          state: cursors.get(stateKey) ?? initialSyncState(),
          dirty: true,
        })
      }
    }
    this.plans = plans
  }

  /** Validates a definition and loads what was saved for it (a different partner starts afresh). */
  static async load(
    id: string,
    local: LocalSyncPeer,
    partner: SyncPeer,
    dbIds: readonly RelationshipDatabase[],
    options: RelationshipOptions,
    defaults: { direction: SyncDirection; now: number },
  ): Promise<Relationship> {
    const links = relationshipLinks(id, local, partner, dbIds, options)
    const [syncStates, saved] = await Promise.all([local.syncStates(), local.relationshipStates()])
    let state = await saved.get(id)
    if (state && state.partner !== partner.id) state = undefined
    const cursors = new Map<string, SyncState>()
    const direction = options.direction ?? defaults.direction
    for (const link of links) {
      for (const d of ['push', 'pull'] as const) {
        const key = cursorKey(id, link, d)
        const cursor = state ? await syncStates.get(key) : undefined
        if (cursor) cursors.set(key, cursor)
        else if (!state) await syncStates.delete(key)
      }
    }
    return new Relationship(
      { id, local, partner, links, options, direction },
      { syncStates, saved },
      state,
      cursors,
      defaults.now,
    )
  }

  /** Opens every database of the relationship once, and watches the sending stores for new entries. */
  openDatabases(): Promise<OpenLink[]> {
    if (!this.#open) {
      const opening = Promise.all(
        this.links.map(async (link) => ({
          local: await this.local.openDB(link.local),
          remote: await this.partner.openDB(link.remote),
        })),
      )
      this.#open = opening
      opening.then(
        (open) => {
          for (const plan of this.plans) {
            const source = this.sourceOf(plan, open)
            plan.sourceStore = storeOf(source)
            this.#unsubscribe.push(plan.sourceStore.subscribe(() => void (plan.dirty = true)))
          }
          this.opened = open
        },
        () => {
          if (this.#open === opening) this.#open = undefined
        },
      )
    }
    return this.#open
  }

  /** What this relationship asks the authorities each round (built once: it never changes). */
  request(defaultEnvironment: string | undefined): SyncRequest {
    return (this.#request ??= {
      relationshipId: this.id,
      grantId: this.options.grantId,
      local: {
        tenant: this.local.id,
        environment: this.options.environment ?? defaultEnvironment ?? environmentOf(this.local.id),
      },
      partner: { tenant: this.partner.id, environment: environmentOf(this.partner.id) },
      transfers: this.plans.map((p) => p.transfer),
    })
  }

  /**
   * True when the databases are open and no transfer is due ({@link transferDue}): one `head()`
   * per transfer without a grant, nothing else. False when anything is new (or not known yet).
   */
  async isIdle(): Promise<boolean> {
    const open = this.opened
    if (!open) return false
    for (const plan of this.plans) {
      if (
        await transferDue(plan.state, plan.sourceStore!, this.targetOf(plan, open), this.options.grantId !== undefined)
      )
        return false
    }
    return true
  }

  /**
   * How far each transfer's cursor trails its sending store: entries stored there past the cursor
   * (all of them after an epoch change). One `head()` per transfer; `behind` is null until the
   * databases are open, or when the sending store cannot say (a relay refusing us).
   */
  async lag(): Promise<TransferLag[]> {
    return Promise.all(
      this.plans.map(async (plan) => {
        let behind: number | null = null
        if (plan.sourceStore) {
          const head = await plan.sourceStore.head().catch(() => undefined)
          const cursor = plan.state.cursor
          if (head)
            behind = cursor === null || cursor.epoch !== head.epoch ? head.seq : Math.max(0, head.seq - cursor.seq)
        }
        return {
          relationshipId: this.id,
          db: plan.link.local,
          remoteDb: plan.link.remote,
          direction: plan.direction,
          behind,
        }
      }),
    )
  }

  /** Books a round that found nothing new. */
  idle(now: number): void {
    for (const plan of this.plans) plan.dirty = false
    this.#counters.idle(now)
    this.lastSyncAt = now
  }

  /** The sending database (or relayed store) of a transfer. */
  sourceOf(plan: TransferPlan, open: readonly OpenLink[]): SyncTarget {
    const o = open[this.links.indexOf(plan.link)]!
    return plan.direction === 'push' ? o.local : o.remote
  }

  /** The receiving database (or relayed store) of a transfer. */
  targetOf(plan: TransferPlan, open: readonly OpenLink[]): SyncTarget {
    const o = open[this.links.indexOf(plan.link)]!
    return plan.direction === 'push' ? o.remote : o.local
  }

  /** Saves a transfer's new cursor. */
  async saveCursor(plan: TransferPlan, state: SyncState): Promise<void> {
    await this.#syncStates.put(plan.stateKey, state)
    plan.state = state
  }

  /** Books a successful round: per database, what moved. */
  succeeded(now: number, moved: ReadonlyMap<TransferPlan, number>): void {
    if (this.#counters.succeeded(now, moved) || this.failures || this.lastError) this.#persistNeeded = true
    this.failures = 0
    this.lastError = null
    this.lastSyncAt = now
  }

  /** Books a failed round; `db` is the database whose transfer failed, if one did. */
  failed(error: WeftError, now: number, db: DbName | undefined): void {
    const info: SyncErrorInfo = { code: error.code, message: error.message, at: now }
    this.failures++
    this.lastError = info
    this.#counters.failed(info, db)
    for (const plan of this.plans) if (db === undefined || plan.link.local === db) plan.dirty = true
    this.#persistNeeded = true
  }

  /** Marks the saved state stale (enabled flag changed). */
  touch(): void {
    this.#persistNeeded = true
  }

  /** Saves counters, flags and the last error if anything worth keeping changed. */
  async persist(): Promise<void> {
    if (!this.#persistNeeded) return
    this.#persistNeeded = false
    const databases = this.#counters.saved()
    await this.#saved.put(this.id, {
      v: 1,
      partner: this.partner.id,
      enabled: this.enabled,
      failures: this.failures,
      lastSyncAt: this.lastSyncAt,
      lastError: this.lastError,
      databases,
    })
  }

  /** Forgets the saved state and cursors. */
  async forget(): Promise<void> {
    await this.#saved.delete(this.id)
    for (const plan of this.plans) await this.#syncStates.delete(plan.stateKey)
  }

  /** Stops watching stores. */
  detach(): void {
    for (const u of this.#unsubscribe.splice(0)) u()
    this.#open = undefined
    this.opened = undefined
  }

  status(): RelationshipStatus {
    const databases: DatabaseSyncStatus[] = this.links.map((link) => this.#counters.status(link, this.plans))
    return {
      id: this.id,
      localTenant: this.local.id,
      partnerTenant: this.partner.id,
      grantId: this.options.grantId ?? null,
      direction: this.direction,
      enabled: this.enabled,
      state: !this.enabled ? 'disabled' : this.syncing ? 'syncing' : this.failures ? 'backoff' : 'idle',
      lastSyncAt: this.lastSyncAt,
      lastError: this.lastError,
      consecutiveFailures: this.failures,
      nextRunAt: this.enabled ? this.nextRunAt : null,
      databases,
    }
  }
}

function cursorKey(id: string, link: DbLink, direction: 'push' | 'pull'): string {
  return `rel/${encodeURIComponent(id)}/${encodeURIComponent(link.local)}/${encodeURIComponent(link.remote)}/${direction}`
}
