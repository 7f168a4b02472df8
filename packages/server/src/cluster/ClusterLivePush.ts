import type { AppendResult, ChangeStore, ClusterBus, ClusterMessage } from '@weft/core/backend'
import { createStoredNotice, parseStoredNotice, type StoredNotice } from './storedNotice.ts'

/** The live sockets of this process, as the cluster's notices reach them. */
export interface LivePushTargets {
  /** Sends `tenant`'s subscribers of `db` what was stored up to arrival `to` of `epoch`, unless they have it. */
  wake(tenant: string, db: string, upTo: { readonly epoch: string; readonly seq: number }): void
  /** Makes every subscription read the storage again after its cursor (notices may have been lost). */
  wakeAll(): void
}

/** Most (tenant, database) pairs waiting to be woken at once; past it every subscription is woken instead. */
const MAX_PENDING = 10_000

/**
 * Live push across the processes that share one storage. After an append, this process tells the
 * others on the {@link ClusterBus} which tenant and database grew and up to which arrival number
 * (one notice per append batch, never the entries); a process that hears it wakes its own
 * subscribers of that database, which read the new entries from the shared storage after their
 * cursors, within the same bounds as any live push (the socket's outflow, the tenant's memory
 * budget, the tenant's `livePush` flag). Notices that arrive together are coalesced per (tenant,
 * database), keeping the highest arrival number, and delivered once per turn of the event loop.
 * When the bus reports a gap (its connection dropped, so notices may have been lost), every
 * subscription reads the storage again from its cursor: nothing stored meanwhile is missed.
 */
export class ClusterLivePush {
  readonly #bus: ClusterBus
  readonly #owned: boolean
  readonly #targets: LivePushTargets
  readonly #log: (message: string, error?: unknown) => void
  readonly #pending = new Map<string, StoredNotice>()
  #everything = false
  #scheduled = false
  readonly #sending = new Set<Promise<void>>()
  readonly #off: (() => void)[]

  /** `owned`: the bus was made for this server, and closes with it. */
  constructor(
    bus: ClusterBus,
    targets: LivePushTargets,
    options: { readonly owned: boolean; readonly log: (message: string, error?: unknown) => void },
  ) {
    this.#bus = bus
    this.#owned = options.owned
    this.#targets = targets
    this.#log = options.log
    this.#off = [bus.subscribe((m) => this.#receive(m)), bus.onGap(() => this.#gap())]
  }

  /** Resolves once notices the other processes send reach this one. */
  ready(): Promise<void> {
    return this.#bus.ready()
  }

  /**
   * Tells the other processes that `added` entries (one append batch) were stored in `tenant`'s
   * `db`, whose store is `store`, up to the arrival number the append reported (`arrived`), else
   * up to the store's head read now. Does not wait: the entries are durable whether or not the
   * notice goes out; a failure is logged, and the receivers' subscribers get the entries with the
   * next notice.
   */
  stored(tenant: string, db: string, added: number, store: ChangeStore, arrived?: AppendResult['arrived']): void {
    if (added <= 0) return
    const p: Promise<void> = (async () => {
      const head = arrived ?? (await store.head())
      const notice = { tenant, db, epoch: head.epoch, from: Math.max(0, head.seq - added + 1), to: head.seq }
      await this.#bus.publish(createStoredNotice(notice))
    })()
      .catch((err) => this.#log(`could not tell the other processes about entries stored in ${tenant}/${db}`, err))
      .finally(() => this.#sending.delete(p))
    this.#sending.add(p)
  }

  /** Waits for the notices being sent, stops listening, and closes the bus if it made it. */
  async close(): Promise<void> {
    await Promise.all([...this.#sending])
    for (const off of this.#off) off()
    this.#pending.clear()
    if (this.#owned) await this.#bus.close()
  }

  #receive(message: ClusterMessage): void {
    const notice = parseStoredNotice(message)
    if (!notice) return
    if (!this.#everything) {
      const key = `${notice.tenant}\u0000${notice.db}`
      const held = this.#pending.get(key)
      if (!held || held.epoch !== notice.epoch || held.to < notice.to) this.#pending.set(key, notice)
      if (this.#pending.size > MAX_PENDING) this.#gap()
    }
    this.#schedule()
  }

  /** Notices may have been lost: every subscription reads the storage again. */
  #gap(): void {
    this.#everything = true
    this.#pending.clear()
    this.#schedule()
  }

  #schedule(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => this.#flush())
  }

  #flush(): void {
    this.#scheduled = false
    const pending = [...this.#pending.values()]
    const everything = this.#everything
    this.#pending.clear()
    this.#everything = false
    if (everything) return this.#targets.wakeAll()
    for (const n of pending) this.#targets.wake(n.tenant, n.db, { epoch: n.epoch, seq: n.to })
  }
}
