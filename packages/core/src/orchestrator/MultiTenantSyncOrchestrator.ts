import { ErrorCodes, WeftError } from '../errors.ts'
import { Emitter } from '../events.ts'
import { backoffDelay } from './backoff.ts'
import type { OrchestratorOptions } from './orchestratorOptions.ts'
import { Relationship } from './Relationship.ts'
import { asWeftError, foldReports, IDLE_REPORT, type RoundReport } from './roundReport.ts'
import { RoundError, runRound } from './runRound.ts'
import { Semaphore } from './Semaphore.ts'
import type {
  OrchestratorEvents,
  OrchestratorStatus,
  RelationshipDatabase,
  RelationshipOptions,
  RelationshipStatus,
  SyncAllResult,
  TransferLag,
} from './status.ts'
import type { LocalSyncPeer, SyncPeer } from './SyncPeer.ts'

const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * Keeps a set of partner relationships in sync. Each relationship links a local tenant with a
 * partner over some databases, in one or both directions, optionally under a grant that the
 * grant's issuer checks every round. A failing relationship never stops the others: it is retried
 * with exponential backoff and jitter and reports its last error. At most `concurrency` rounds run
 * at once. Cursors and relationship state are saved in the local tenant's storage, so a new
 * orchestrator over the same storage resumes where the last one stopped.
 */
export class MultiTenantSyncOrchestrator {
  readonly #relationships = new Map<string, Relationship>()
  readonly #adding = new Set<string>()
  readonly #events = new Emitter<OrchestratorEvents>()
  readonly #semaphore: Semaphore
  readonly #options: OrchestratorOptions
  readonly #clock: () => number
  readonly #random: () => number
  readonly #inFlight = new Set<Promise<unknown>>()
  #running = false
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(options: OrchestratorOptions = {}) {
    this.#options = options
    this.#semaphore = new Semaphore(options.concurrency ?? 4)
    this.#clock = options.clock ?? Date.now
    this.#random = options.random ?? Math.random
  }

  /** Subscribes to an event; returns an unsubscribe function. */
  on<K extends keyof OrchestratorEvents>(event: K, listener: (payload: OrchestratorEvents[K]) => void): () => void {
    return this.#events.on(event, listener)
  }

  /**
   * Adds a relationship between `localTenant` (which keeps its state) and `partner` over the
   * databases `dbIds` (a name shared by both sides, or `{ local, remote }`). A saved state under the
   * same id and partner is resumed: cursors, counters, the enabled flag. It first runs at the next
   * round. `WEFT_INVALID_ARGUMENT` for a taken id or a bad definition.
   */
  async addRelationship(
    id: string,
    localTenant: LocalSyncPeer,
    partner: SyncPeer,
    dbIds: readonly RelationshipDatabase[],
    options: RelationshipOptions = {},
  ): Promise<RelationshipStatus> {
    if (this.#relationships.has(id) || this.#adding.has(id))
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `relationship ${id} exists`)
    this.#adding.add(id)
    try {
      const rel = await Relationship.load(id, localTenant, partner, dbIds, options, {
        direction: this.#options.direction ?? 'both',
        now: this.#clock(),
      })
      if (rel.failures) rel.nextRunAt = this.#clock() + this.#backoff(rel.failures)
      await rel.persist()
      this.#relationships.set(id, rel)
      this.#events.emit('relationship-added', { relationshipId: id })
      this.#schedule()
      return rel.status()
    } finally {
      this.#adding.delete(id)
    }
  }

  /** Removes a relationship after its running round, and forgets its saved state and cursors. */
  async removeRelationship(id: string): Promise<boolean> {
    const rel = this.#relationships.get(id)
    if (!rel) return false
    this.#relationships.delete(id)
    await rel.inFlight?.catch(() => undefined)
    rel.detach()
    await rel.forget()
    this.#events.emit('relationship-removed', { relationshipId: id })
    this.#schedule()
    return true
  }

  /** Lets a relationship run again (at the next round); saved. */
  async enableRelationship(id: string): Promise<void> {
    const rel = this.#get(id)
    if (rel.enabled) return
    rel.enabled = true
    rel.nextRunAt = this.#clock()
    rel.touch()
    await rel.persist()
    this.#events.emit('relationship-enabled', { relationshipId: id })
    this.#schedule()
  }

  /** Stops scheduling a relationship (a running round finishes); saved. */
  async disableRelationship(id: string): Promise<void> {
    const rel = this.#get(id)
    if (!rel.enabled) return
    rel.enabled = false
    rel.touch()
    await rel.persist()
    this.#events.emit('relationship-disabled', { relationshipId: id })
    this.#schedule()
  }

  /**
   * Runs a round of every enabled relationship now, whatever its schedule, at most `concurrency`
   * at once, and resolves when all are done. Never rejects for a failing relationship: failures are
   * in the result and in each relationship's status.
   */
  syncAll(): Promise<SyncAllResult> {
    return this.#runMany([...this.#relationships.values()].filter((r) => r.enabled))
  }

  /** Runs one relationship's round now (enabled or not) and reports it like {@link syncAll}. */
  syncRelationship(id: string): Promise<SyncAllResult> {
    return this.#runMany([this.#get(id)])
  }

  /**
   * Runs every enabled relationship whose next run time (interval after a success, backoff after a
   * failure) has come by the orchestrator's clock: what each tick of {@link start} does. Useful to
   * drive the schedule by hand.
   */
  syncDue(): Promise<SyncAllResult> {
    const now = this.#clock()
    return this.#runMany(
      [...this.#relationships.values()].filter((r) => r.enabled && !r.inFlight && r.nextRunAt <= now),
    )
  }

  /** Starts running relationships on their schedules. */
  start(): void {
    if (this.#running) return
    this.#running = true
    this.#schedule()
  }

  /** Stops scheduling and resolves once every round in flight has finished (cursors saved). */
  async stop(): Promise<void> {
    this.#running = false
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    while (this.#inFlight.size) await Promise.allSettled([...this.#inFlight])
  }

  /** True between {@link start} and {@link stop}. */
  get running(): boolean {
    return this.#running
  }

  /** Every relationship's status, in the order they were added. */
  getStatus(): OrchestratorStatus {
    const relationships = [...this.#relationships.values()].map((r) => r.status())
    return {
      running: this.#running,
      inFlight: relationships.filter((r) => r.state === 'syncing').length,
      relationships,
    }
  }

  /**
   * How many entries each transfer of every relationship trails its sending store by (one `head()`
   * per transfer): what the next round has to look at. Null for a relationship whose databases are
   * not open yet (it has not run).
   */
  async getLag(): Promise<TransferLag[]> {
    return (await Promise.all([...this.#relationships.values()].map((r) => r.lag()))).flat()
  }

  /** One relationship's status, or undefined. */
  getRelationshipStatus(id: string): RelationshipStatus | undefined {
    return this.#relationships.get(id)?.status()
  }

  #get(id: string): Relationship {
    const rel = this.#relationships.get(id)
    if (!rel) throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `no relationship ${id}`)
    return rel
  }

  /**
   * Runs rounds of `rels`. The idle fast path comes first: a healthy relationship whose sending
   * stores hold nothing past its cursors (and whose grant, if any, both authorities say would pass
   * untouched) is booked as synced after one `head()` per transfer, without a concurrency slot or a
   * save. Anything else runs a full round.
   */
  async #runMany(rels: readonly Relationship[]): Promise<SyncAllResult> {
    const pending: (RoundReport | Promise<RoundReport>)[] = []
    for (const rel of rels) {
      const quick =
        !rel.inFlight && !rel.failures && !rel.lastError && rel.opened !== undefined && this.#allowedIdle(rel)
      let idle = false
      if (quick) {
        try {
          idle = await rel.isIdle()
        } catch {
          idle = false // the full round reports the error
        }
      }
      if (idle && !rel.inFlight && this.#relationships.has(rel.id)) pending.push(this.#bookIdle(rel))
      else pending.push(this.#launch(rel))
    }
    return foldReports(
      rels.map((r) => r.id),
      await Promise.all(pending),
    )
  }

  /** Without a grant, yes; under one, when both authorities say an idle round would pass untouched. */
  #allowedIdle(rel: Relationship): boolean {
    if (rel.options.grantId === undefined) return true
    const request = rel.request(this.#options.environment)
    for (const authority of [rel.local.syncAuthority, rel.partner.syncAuthority]) {
      if (authority && !authority.wouldAllow?.(request)) return false
    }
    return true
  }

  #bookIdle(rel: Relationship): RoundReport {
    const now = this.#clock()
    rel.idle(now)
    rel.nextRunAt = now + (rel.options.intervalMs ?? this.#options.intervalMs ?? 30_000)
    this.#events.emit('sync-started', { relationshipId: rel.id })
    this.#events.emit('sync-completed', { relationshipId: rel.id, sent: 0, received: 0, durationMs: 0 })
    return IDLE_REPORT
  }

  /** Queues a round (or joins the one queued or running). */
  #launch(rel: Relationship): Promise<RoundReport> {
    if (rel.inFlight) return rel.inFlight as Promise<RoundReport>
    const round = this.#semaphore.run(() => this.#execute(rel))
    rel.inFlight = round
    this.#inFlight.add(round)
    void round.finally(() => {
      rel.inFlight = undefined
      this.#inFlight.delete(round)
      this.#schedule()
    })
    return round
  }

  async #execute(rel: Relationship): Promise<RoundReport> {
    if (!this.#relationships.has(rel.id))
      return { ok: false, error: new WeftError(ErrorCodes.INVALID_ARGUMENT, `relationship ${rel.id} was removed`) }
    const started = this.#clock()
    rel.syncing = true
    this.#events.emit('sync-started', { relationshipId: rel.id })
    try {
      const result = await runRound(rel, this.#options.environment, (plan, progress) =>
        this.#events.emit('sync-progress', {
          relationshipId: rel.id,
          db: plan.link.local,
          direction: plan.direction,
          ...progress,
        }),
      )
      const now = this.#clock()
      rel.succeeded(now, result.moved)
      rel.nextRunAt = now + (rel.options.intervalMs ?? this.#options.intervalMs ?? 30_000)
      rel.syncing = false
      await rel.persist()
      this.#events.emit('sync-completed', {
        relationshipId: rel.id,
        sent: result.sent,
        received: result.received,
        durationMs: now - started,
      })
      return { ok: true, result }
    } catch (err) {
      const { error, db } = err instanceof RoundError ? err : new RoundError(asWeftError(err), undefined)
      const now = this.#clock()
      rel.failed(error, now, db)
      rel.nextRunAt = now + this.#backoff(rel.failures)
      rel.syncing = false
      await rel.persist().catch(() => undefined) // the round's own error is what the status reports
      this.#events.emit('sync-failed', {
        relationshipId: rel.id,
        error,
        consecutiveFailures: rel.failures,
        retryAt: rel.nextRunAt,
      })
      return { ok: false, error }
    }
  }

  #backoff(failures: number): number {
    return backoffDelay(failures, this.#random, this.#options.backoff)
  }

  /** Arms one timer for the earliest due relationship that is not already running. */
  #schedule(): void {
    if (!this.#running) return
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    let next = Infinity
    for (const r of this.#relationships.values()) if (r.enabled && !r.inFlight && r.nextRunAt < next) next = r.nextRunAt
    if (next === Infinity) return
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, next - this.#clock()))
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      if (!this.#running) return
      const now = this.#clock()
      const due = [...this.#relationships.values()].filter((r) => r.enabled && !r.inFlight && r.nextRunAt <= now)
      for (const r of due) void this.#launch(r)
      this.#schedule()
    }, delay)
  }
}
