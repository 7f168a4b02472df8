import {
  Mutex,
  updateRecord,
  unpackHashes,
  type ChangeHash,
  type ChangeStore,
  type KeyValueStore,
} from '@weft/core/backend'
import type { TenantStores } from './TenantStores.ts'
import { decodeState, encodeState, holdKey, readLegacy, stateKey, type Hold, type UsageState } from './usageRecords.ts'

/**
 * How long a hold of another process may stand before it is taken for the hold of a process that
 * died mid-append and settled by what the store holds. Far longer than any append takes, and than
 * the clocks of a cluster's processes disagree.
 */
export const HOLD_TIMEOUT_MS = 10 * 60_000

/** What a usage ledger lends its {@link UsageSteps}. */
export interface UsageStepsParts {
  readonly kv: KeyValueStore
  readonly stores: TenantStores
  /** Holds of appends under way in this process, which no load settles. */
  readonly mine: ReadonlySet<string>
}

/**
 * Each tenant's usage state, changed in steps under the tenant's lock (in every process, when the
 * storage is shared): the state is read (or, single process, cached) with the holds of dead
 * appends settled by what the store holds, and written back in one put when a step changed it.
 */
export class UsageSteps {
  readonly #p: UsageStepsParts
  /** Single process only: each tenant's state as last written. Shared, every step reads it. */
  readonly #cache = new Map<string, UsageState>()
  readonly #locks = new Map<string, { mutex: Mutex; users: number }>()
  readonly #queued = new Map<string, QueuedStep[]>()
  #shared = false

  constructor(parts: UsageStepsParts) {
    this.#p = parts
  }

  /** Every step reads the tenant's record again, under a lock every process takes; nothing is cached. */
  share(): void {
    this.#shared = true
    this.#cache.clear()
  }

  /** Drops what is cached of the tenant's state: the next step reads its record again. */
  uncache(tenant: string): void {
    this.#cache.delete(tenant)
  }

  /**
   * Runs `fn` on the tenant's state under its lock. Steps asked for while one runs or waits for the
   * lock are run together, in order, on one read of the state and one write (when any of them
   * `changed` it): under load, pushes of a tenant share the lock instead of queueing on it one by one.
   */
  step<T>(tenant: string, fn: (state: UsageState, changed: () => void) => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let queue = this.#queued.get(tenant)
      if (!queue) {
        this.#queued.set(tenant, (queue = []))
        void this.#locked(tenant, () => this.#runSteps(tenant)).catch(() => {})
      }
      queue.push({ fn, resolve, reject } as QueuedStep)
    })
  }

  /**
   * Runs `fn` on the tenant's state without changing it. Shared, the record is read without the
   * lock (one row, written whole by each step, so the read sees the state one finished step left)
   * unless a hold in it is old enough to be settled, or there is no record yet: then `fn` runs as
   * a step. So reads of the use do not queue behind each other, or behind pushes, across processes.
   */
  async read<T>(tenant: string, fn: (state: UsageState) => T): Promise<T> {
    if (this.#shared) {
      const raw = await this.#p.kv.get(stateKey(tenant))
      const state = raw && decodeState(raw)
      if (state && !this.#deadHolds(state).length) return fn(state)
    }
    return this.step(tenant, fn)
  }

  async #runSteps(tenant: string): Promise<void> {
    const steps = this.#queued.get(tenant) ?? []
    this.#queued.delete(tenant)
    const settle: (() => void)[] = []
    /** Runs the steps on `state`; whether any changed it. */
    const run = async (state: UsageState): Promise<boolean> => {
      let dirty = false
      for (const step of steps) {
        try {
          const r = await step.fn(state, () => (dirty = true))
          settle.push(() => step.resolve(r))
        } catch (err) {
          settle.push(() => step.reject(err))
        }
      }
      return dirty
    }
    try {
      if (this.#shared) {
        // Read as the lock is taken and written as it is let go: one round trip each where the
        // storage can.
        await updateRecord(this.#p.kv, lockName(tenant), stateKey(tenant), async (raw) => {
          const state = await this.#settled(tenant, raw)
          return (await run(state)) ? encodeState(state) : undefined
        })
      } else {
        const state = await this.#load(tenant)
        if (await run(state)) await this.#save(tenant, state)
      }
    } catch (err) {
      for (const step of steps) step.reject(err)
      return
    }
    for (const s of settle) s()
  }

  /** Runs `fn` after every earlier step for the same tenant in this process (shared, each step takes the tenant's lock itself). */
  #locked<T>(tenant: string, fn: () => Promise<T>): Promise<T> {
    let lock = this.#locks.get(tenant)
    if (!lock) this.#locks.set(tenant, (lock = { mutex: new Mutex(), users: 0 }))
    lock.users++
    const held = lock
    return held.mutex.run(fn).finally(() => {
      if (--held.users === 0 && this.#locks.get(tenant) === held) this.#locks.delete(tenant)
    })
  }

  /** Single process: the tenant's state, cached, or read with the holds of dead appends settled. */
  async #load(tenant: string): Promise<UsageState> {
    const cached = this.#cache.get(tenant)
    if (cached) return cached
    const state = await this.#settled(tenant, await this.#p.kv.get(stateKey(tenant)))
    this.#cache.set(tenant, state)
    return state
  }

  /** The state `raw` records (else the records of an earlier version), with the holds of dead appends settled. */
  async #settled(tenant: string, raw: Uint8Array | undefined): Promise<UsageState> {
    const state = raw ? decodeState(raw) : await this.#fromLegacy(tenant)
    const dead = this.#deadHolds(state)
    for (const [id, hold] of dead) {
      const names = hold.names ?? (await this.#p.kv.get(holdKey(tenant, id)))
      // No hashes written: the process died before its append began.
      const stored = names ? await storedOf(await this.#p.stores.open(tenant, hold.db), unpackHashes(names)) : []
      const usage = state.dbs.get(hold.db) ?? { bytes: 0, entries: 0 }
      for (const size of stored) usage.bytes += size
      usage.entries += stored.length
      state.dbs.set(hold.db, usage)
      state.holds.delete(id)
    }
    if (dead.length || !raw) await this.#save(tenant, state)
    for (const [id, hold] of dead) if (!hold.names) await this.#p.kv.delete(holdKey(tenant, id))
    return state
  }

  /** The holds in `state` of appends that died: any not this process's own, or (shared) only those timed out. */
  #deadHolds(state: UsageState): [string, Hold][] {
    const now = Date.now()
    return [...state.holds].filter(
      ([id, h]) => !this.#p.mine.has(id) && (!this.#shared || now - h.at > HOLD_TIMEOUT_MS),
    )
  }

  /** The state from the per-database records of an earlier version (moved into the one record by the caller, then deleted). */
  async #fromLegacy(tenant: string): Promise<UsageState> {
    const state: UsageState = { dbs: new Map(), holds: new Map() }
    const legacy = await readLegacy(this.#p.kv, tenant)
    for (const { db, usage, pending } of legacy) {
      if (pending) {
        const stored = await storedOf(await this.#p.stores.open(tenant, db), unpackHashes(pending))
        for (const size of stored) usage.bytes += size
        usage.entries += stored.length
      }
      state.dbs.set(db, usage)
    }
    if (legacy.length) {
      await this.#save(tenant, state)
      for (const { key } of legacy) await this.#p.kv.delete(key)
    }
    return state
  }

  async #save(tenant: string, state: UsageState): Promise<void> {
    try {
      await this.#p.kv.put(stateKey(tenant), encodeState(state))
    } catch (err) {
      this.#cache.delete(tenant) // what is cached may be ahead of the record now
      throw err
    }
  }
}

/** The lock every process takes to change `tenant`'s usage state. */
function lockName(tenant: string): string {
  return `usage/${tenant}`
}

/** A step waiting for its tenant's lock. */
interface QueuedStep {
  readonly fn: (state: UsageState, changed: () => void) => unknown
  readonly resolve: (value: unknown) => void
  readonly reject: (reason: unknown) => void
}

/** The sizes of those of `hashes` the store holds. */
async function storedOf(store: ChangeStore, hashes: ChangeHash[]): Promise<number[]> {
  const held = await store.has(hashes)
  const kept = hashes.filter((_, i) => held[i])
  return (await store.getChanges(kept)).map((e) => e.bytes.length)
}
