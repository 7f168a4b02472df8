import type { ChangeStore } from '../store/index.ts'
import type { DbName } from '../types.ts'
import { Presence } from '../presence/index.ts'
import type { DatabaseParts } from './assembleDatabase.ts'
import type { DatabaseContext } from './DatabaseContext.ts'
import { databaseQuerySource, type QueriedDatabase } from './databaseQuerySource.ts'
import type { IndexOpening } from './IndexKeeper.ts'
import type { MaterialiseReport } from './MaterialiseReport.ts'
import { QueryEngine } from './query/index.ts'

/** What a database lends its lifecycle. */
export interface LifecycleParts {
  readonly ctx: DatabaseContext
  readonly store: ChangeStore
  readonly name: DbName
  readonly parts: DatabaseParts
  /** The database as its query engine reads it. */
  readonly queried: QueriedDatabase
  /** Tries again every held entry, announcing what materialised (the database's `retryHeld`). */
  readonly retryHeld: () => Promise<MaterialiseReport>
}

/**
 * An open database's lifetime: it opens the persisted index and follows what changes under the
 * database (entries other writers append to its store, keys arriving, the tenant's trust), makes
 * presence and the query engine on first use, and closes all of them.
 */
export class DatabaseLifecycle {
  readonly #p: LifecycleParts
  #opened: IndexOpening = 'rebuilt'
  readonly #unsubscribe: (() => void)[] = []
  /** Indexes, queries and search, made on first use. */
  #query: QueryEngine | undefined
  /** Presence in this database, made on first use. */
  #presence: Presence | undefined
  /** The trust narrowings this database's documents were materialised under. */
  #narrowings: number

  constructor(parts: LifecycleParts) {
    this.#p = parts
    this.#narrowings = parts.ctx.trust.narrowings
  }

  /** How the persisted index opened: current, caught up, or rebuilt from the store. */
  get opened(): IndexOpening {
    return this.#opened
  }

  /** Opens the persisted index (rebuilt from the store when missing or stale) and starts following changes. */
  async open(): Promise<void> {
    const { ctx, store, parts } = this.#p
    const { gate, keeper, materialiser } = parts
    // Entries other writers append to this store (another Database over it, a sync) materialise by themselves.
    this.#unsubscribe.push(
      store.subscribe((added, entries) => void gate.background(() => materialiser.ingestHashes(added, entries))),
    )
    try {
      await gate.write(async () => {
        this.#opened = await keeper.open()
        if (materialiser.heldCount) await materialiser.retryHeld()
      })
    } catch (err) {
      for (const u of this.#unsubscribe) u()
      parts.release()
      throw err
    }
    this.#unsubscribe.push(ctx.keyBag.subscribe(() => this.#p.retryHeld().then(() => undefined)))
    this.#unsubscribe.push(ctx.onTrustChange(() => this.#trustChanged()))
  }

  /**
   * Retries held entries; when a device's trust shrank (removed, demoted), materialises every
   * document again from the store instead, so nothing it may no longer have written stays applied.
   */
  async #trustChanged(): Promise<void> {
    const { ctx, parts } = this.#p
    this.#presence?.recheck()
    if (ctx.trust.narrowings === this.#narrowings) {
      await this.#p.retryHeld()
      return
    }
    await parts.gate.run(async () => {
      this.#narrowings = ctx.trust.narrowings
      return parts.keeper.rebuild()
    })
  }

  /** Presence in this database, made on first use (closed at once if the database is). */
  presence(): Presence {
    if (!this.#presence) {
      const { ctx, name, parts } = this.#p
      this.#presence = new Presence({
        tenantId: ctx.tenantId,
        scope: name,
        signer: ctx.signer,
        keyBag: ctx.keyBag,
        keyId: () => parts.settings.keyId,
        admits: (key) => (ctx.presenceAdmits ? ctx.presenceAdmits(key) : ctx.trust.isMember(key)),
      })
      if (parts.gate.closed) this.#presence.close()
    }
    return this.#presence
  }

  /** The query engine, made on first use. */
  queries(): QueryEngine {
    this.#query ??= new QueryEngine(
      databaseQuerySource(this.#p.queried, this.#p.parts.residency),
      this.#p.parts.indexStates,
    )
    return this.#query
  }

  /** Frees every document and stops following; the store stays open (its owner closes it). */
  async close(): Promise<void> {
    const { gate, keeper, docs } = this.#p.parts
    // Before the lock: storing the index states waits for updates that read documents under it.
    if (!gate.closed) await this.#query?.close()
    await gate.close(async () => {
      this.#presence?.close()
      for (const u of this.#unsubscribe) u()
      // The index is a cache: if the storage closed first, the next open re-derives what it missed.
      await keeper.flush().catch(() => undefined)
      this.#p.parts.release()
      docs.clear()
    })
  }
}
