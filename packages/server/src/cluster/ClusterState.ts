import { AsyncLocalStorage } from 'node:async_hooks'
import {
  addToCounter,
  encodeClusterMessage,
  exclusively,
  type ClusterBus,
  type ClusterMessage,
  type KeyValueStore,
} from '@weft/core/backend'
import type { TenantEvent } from '../tenancy/TenantEventBus.ts'
import { shareInTurn } from '../shareInTurn.ts'

/** What the server does when the cluster says something changed elsewhere. */
export interface ClusterHooks {
  /** Drops what this process caches of `tenant` (members, directory, catalogue, generation, sessions), then re-checks its open sockets. */
  readonly invalidate: (tenant: string) => Promise<void>
  /** An event of `tenant` another process emitted (its JSON, as sent). */
  readonly event: (tenant: string, json: string) => void
  /** Messages may have been lost: every open socket checks its standing again. */
  readonly gap: () => void
  readonly log: (message: string, error?: unknown) => void
}

/** Most names whose versions a process remembers; past it they are forgotten (and read again). */
const MAX_SEEN = 100_000

/** The sections the current async call chain is inside, by name. */
const inside = new AsyncLocalStorage<ReadonlySet<string>>()

/**
 * What keeps the caches of several server processes over one storage right. Each tenant has a
 * version (a shared counter, `tenant/<id>`), moved on by every change to its members, directory,
 * catalogue record, generation or sessions. A process checks it before it trusts a cached
 * standing ({@link fresh}: one small read), so a change made through any process is seen by every
 * process on its next request; the change is also published on the cluster bus, so open sockets
 * everywhere are checked at once. A gap on the bus forgets every version seen.
 *
 * {@link section} runs a change under a lock shared by every process, after dropping the caches
 * another process's change made stale: counts checked against quotas inside it are exact.
 */
export class ClusterState {
  readonly #kv: KeyValueStore
  readonly #bus: ClusterBus
  readonly #seen = new Map<string, number>()
  readonly #reading = new Map<string, Promise<number>>()
  #hooks: ClusterHooks | undefined
  readonly #unsubscribe: (() => void)[] = []

  constructor(kv: KeyValueStore, bus: ClusterBus) {
    this.#kv = kv
    this.#bus = bus
  }

  /** The store locks, counters and buckets are kept in. */
  get kv(): KeyValueStore {
    return this.#kv
  }

  /** Starts listening to the other processes. */
  attach(hooks: ClusterHooks): void {
    this.#hooks = hooks
    this.#unsubscribe.push(
      this.#bus.subscribe((m) => void this.#receive(m)),
      this.#bus.onGap(() => {
        this.#seen.clear()
        hooks.gap()
      }),
    )
  }

  /** Makes sure what this process caches of `tenant` is as new as the shared storage. */
  async fresh(tenant: string): Promise<void> {
    const name = tenantSection(tenant)
    const v = await this.#version(name)
    if (this.#seen.get(name) === v) return
    // Remembered first: the sockets the invalidation re-checks ask `fresh` again, and must not loop.
    this.#remember(name, v)
    await this.#hooks?.invalidate(tenant)
  }

  /**
   * Runs `fn` holding the lock `name` in every process. If another process changed what `name`
   * guards since this one last did, `stale` runs first. With `write`, the version of `name` moves
   * on afterwards (and, for a tenant's section, the other processes are told at once). Without it
   * (a read), `fn` runs without the lock when nothing changed elsewhere since: it sees what the
   * last finished change left; `lock` makes a read take it all the same (one that reads the
   * storage, where a change under way elsewhere may be half done).
   */
  section<T>(
    name: string,
    stale: () => void | Promise<void>,
    fn: () => Promise<T>,
    options: { write: boolean; tenant?: string; lock?: boolean },
  ): Promise<T> {
    const held = inside.getStore()
    if (held?.has(name)) return fn()
    if (!options.write && !options.lock) return this.#read(name, stale, fn)
    return this.#locked(name, stale, fn, options)
  }

  /**
   * The version of `name`. Calls in the same turn of the event loop share one read (every live
   * subscription of a tenant asks when an entry arrives): the read starts in that turn, after
   * anything that made them ask, so it is as new for each of them as a read of its own.
   */
  #version(name: string): Promise<number> {
    return shareInTurn(this.#reading, name, () => addToCounter(this.#kv, name, 0))
  }

  /**
   * A read: without the lock while this process's view is the newest (the reads of one turn share
   * the version's read, see {@link #version}), else under it (reading it again).
   */
  async #read<T>(name: string, stale: () => void | Promise<void>, fn: () => Promise<T>): Promise<T> {
    if (this.#seen.get(name) === (await this.#version(name))) return fn()
    return this.#locked(name, stale, fn, { write: false })
  }

  #locked<T>(
    name: string,
    stale: () => void | Promise<void>,
    fn: () => Promise<T>,
    options: { write: boolean; tenant?: string },
  ): Promise<T> {
    const held = inside.getStore()
    return exclusively(this.#kv, name, () =>
      inside.run(new Set([...(held ?? []), name]), async () => {
        const v = await addToCounter(this.#kv, name, 0)
        if (this.#seen.get(name) !== v) await stale()
        this.#remember(name, v)
        if (!options.write) return fn()
        try {
          return await fn()
        } finally {
          await this.#moved(name, options.tenant)
        }
      }),
    )
  }

  /** Runs `fn` in `tenant`'s section (members, directory, catalogue, generation), as a change. */
  tenantSection<T>(tenant: string, fn: () => Promise<T>): Promise<T> {
    return this.section(tenantSection(tenant), () => this.#hooks?.invalidate(tenant), fn, { write: true, tenant })
  }

  /** Tells every process that `tenant` changed outside a section (its sessions ended, say). */
  async touch(tenant: string): Promise<void> {
    await this.#moved(tenantSection(tenant), tenant)
  }

  /**
   * Sends an event to the other processes' subscribers. One too large for a bus message loses its
   * list of hashes first, then its details (marked `truncated`).
   */
  async publishEvent(event: TenantEvent): Promise<void> {
    const hashes = event.data.hashes
    const shapes = [
      event,
      ...(Array.isArray(hashes)
        ? [{ ...event, data: { ...event.data, hashes: hashes.slice(0, 10), truncated: true } }]
        : []),
      { ...event, data: { truncated: true } },
    ]
    for (const shape of shapes) {
      const message = { topic: 'event', tenant: event.tenant, data: { e: JSON.stringify(shape) } }
      try {
        encodeClusterMessage('', message)
      } catch {
        continue
      }
      await this.#bus.publish(message)
      return
    }
  }

  close(): void {
    for (const u of this.#unsubscribe.splice(0)) u()
  }

  async #moved(name: string, tenant: string | undefined): Promise<void> {
    try {
      const v = await addToCounter(this.#kv, name, 1)
      this.#remember(name, v)
      if (tenant !== undefined) await this.#bus.publish({ topic: 'tenant', tenant, data: { v } })
    } catch (err) {
      // The others see the change at their next `fresh` read only if the counter moved; say so.
      this.#hooks?.log(`could not tell the other processes that ${name} changed`, err)
      throw err
    }
  }

  async #receive(m: ClusterMessage): Promise<void> {
    const hooks = this.#hooks
    if (!hooks) return
    try {
      if (m.topic === 'tenant') {
        const name = tenantSection(m.tenant)
        const v = m.data?.v
        if (typeof v === 'number' && (this.#seen.get(name) ?? -1) >= v) return
        if (typeof v === 'number') this.#remember(name, v)
        await hooks.invalidate(m.tenant)
      } else if (m.topic === 'event' && typeof m.data?.e === 'string') hooks.event(m.tenant, m.data.e)
    } catch (err) {
      hooks.log(`a message from another process (${m.topic}) failed`, err)
    }
  }

  #remember(name: string, v: number): void {
    if (this.#seen.size >= MAX_SEEN) this.#seen.clear()
    this.#seen.set(name, v)
  }
}

function tenantSection(tenant: string): string {
  return `tenant/${tenant}`
}
