import {
  ErrorCodes,
  exclusively,
  Mutex,
  packHashes,
  randomBytes,
  toBase64Url,
  unpackHashes,
  WeftError,
  type AppendResult,
  type ChangeHash,
  type ChangeStore,
  type EntryEnvelope,
  type KeyValueStore,
  type RejectedEntry,
} from '@weft/core/backend'
import type { TenantQuota } from './ServerOptions.ts'
import type { TenantStores } from './TenantStores.ts'
import {
  decodeState,
  encodeState,
  holdKey,
  measure,
  NAMES_IN_RECORD,
  overQuota,
  readLegacy,
  stateKey,
  usedBy,
  type Usage,
  type UsageState,
} from './usageRecords.ts'

export type { Usage } from './usageRecords.ts'

/**
 * How long a hold of another process may stand before it is taken for the hold of a process that
 * died mid-append and settled by what the store holds. Far longer than any append takes, and than
 * the clocks of a cluster's processes disagree.
 */
export const HOLD_TIMEOUT_MS = 10 * 60_000

/** How long a push that does not fit waits for the holds of other appends under way to settle. */
const WAIT_FOR_HOLDS_MS = 5_000

/**
 * Each tenant's storage use (entry bytes, entries, databases) across its databases, kept in the
 * server's key-value store so it survives restarts, and the quotas checked against it.
 *
 * The use is one record per tenant, changed in one put under the tenant's lock (in every process,
 * when the storage is shared). An append does not hold the lock while it stores: it takes a hold
 * (room for the entries it admits, counted as used), appends, then settles the hold into the
 * database's count (what was added) and frees the rest. So concurrent pushes, through one process
 * or many, never overshoot a quota, and the lock is held for two short record writes per push,
 * never for signature checks or the store's write.
 *
 * Crashes: an append writes the hashes it admitted before it stores them. A hold left by a process
 * that died is settled by what the store holds of those hashes: at once in a server that is the
 * only one on its storage, after {@link HOLD_TIMEOUT_MS} when several share it. So the use is exact
 * after a crash, never under. A database the ledger has not seen before (created by a server
 * without quotas) is measured once, when first opened.
 */
export class UsageLedger {
  readonly #kv: KeyValueStore
  readonly #stores: TenantStores
  readonly #log: (message: string, error?: unknown) => void
  /** Single process only: each tenant's state as last written. Shared, every step reads it. */
  readonly #cache = new Map<string, UsageState>()
  readonly #known = new Map<string, Set<string>>()
  readonly #locks = new Map<string, { mutex: Mutex; users: number }>()
  /** Holds of appends under way in this process, which no load settles. */
  readonly #mine = new Set<string>()
  readonly #queued = new Map<string, QueuedStep[]>()
  #shared = false

  constructor(kv: KeyValueStore, stores: TenantStores, log: (message: string, error?: unknown) => void = () => {}) {
    this.#kv = kv
    this.#stores = stores
    this.#log = log
  }

  /**
   * Shares the counts with the other processes over the same storage: every step reads the
   * tenant's record again under a lock every process takes, so quotas hold exactly whichever
   * processes a tenant pushes through.
   */
  share(): void {
    this.#shared = true
    this.#cache.clear()
  }

  /** The tenant's use now, across its databases (holds of appends under way included). */
  usage(tenant: string): Promise<Usage & { databases: number }> {
    return this.#step(tenant, (state) => ({ ...usedBy(state), databases: state.dbs.size }))
  }

  /**
   * A database of the tenant, opened. One the tenant never opened counts against
   * `maxDatabasesPerTenant`: over it, `WEFT_QUOTA_EXCEEDED`, and nothing is created.
   */
  async open(tenant: string, db: string, quota: TenantQuota): Promise<ChangeStore> {
    if (this.#known.get(tenant)?.has(db)) return this.#stores.open(tenant, db)
    await this.#step(tenant, async (state, changed) => {
      if (!state.dbs.has(db)) {
        if (state.dbs.size >= quota.maxDatabasesPerTenant) {
          throw new WeftError(
            ErrorCodes.QUOTA_EXCEEDED,
            `the tenant has its limit of ${quota.maxDatabasesPerTenant} databases on this server`,
          )
        }
        state.dbs.set(db, await measure(await this.#stores.open(tenant, db)))
        changed()
      }
      let known = this.#known.get(tenant)
      if (!known) this.#known.set(tenant, (known = new Set()))
      known.add(db)
    })
    return this.#stores.open(tenant, db)
  }

  /**
   * Appends entries a push brought (already checked for shape, size and author), within the
   * tenant's quotas. Entries the database holds already are `existing` and count nothing. The new
   * ones are taken in order while they fit; the first that does not fit and every new entry after
   * it are rejected with `WEFT_QUOTA_EXCEEDED`, so what a push leaves out is always a suffix of it
   * (no gap in a document's history behind a later change). The store then verifies what was
   * admitted; one result per distinct hash.
   */
  async append(
    tenant: string,
    db: string,
    entries: readonly EntryEnvelope[],
    quota: TenantQuota,
  ): Promise<AppendResult> {
    const store = await this.open(tenant, db, quota)
    const seen = new Set<string>()
    const unique = entries.filter((e) => !seen.has(e.hash) && seen.add(e.hash))
    const held = unique.length ? await store.has(unique.map((e) => e.hash)) : []
    const existing = unique.filter((_, i) => held[i]).map((e) => e.hash)
    const fresh = unique.filter((_, i) => !held[i])
    if (fresh.length === 0) return { added: [], existing, rejected: [] }

    const id = toBase64Url(randomBytes(12))
    this.#mine.add(id)
    try {
      const { admitted, refused } = await this.#reserveWaiting(tenant, db, id, fresh, quota)
      if (admitted.length === 0) return { added: [], existing, rejected: refused }
      let r: AppendResult
      try {
        if (admitted.length > NAMES_IN_RECORD)
          await this.#kv.put(holdKey(tenant, id), packHashes(admitted.map((e) => e.hash)))
        r = await store.appendMany(admitted)
      } catch (err) {
        await this.#settleFailed(tenant, id, store, admitted)
        throw err
      }
      const sizes = new Map(admitted.map((e) => [e.hash, e.bytes.length]))
      await this.#settle(
        tenant,
        id,
        r.added.map((h) => sizes.get(h)!),
        admitted.length > NAMES_IN_RECORD,
      ).catch((err: unknown) => {
        // The entries are stored and the hold names them: the next load settles it from the store.
        this.#log(`could not record the storage use of ${tenant}/${db}`, err)
        this.#cache.delete(tenant)
      })
      return { added: r.added, existing: [...existing, ...r.existing], rejected: [...r.rejected, ...refused] }
    } finally {
      this.#mine.delete(id)
    }
  }

  /** Drops what is cached of `tenant` after its records were erased (the tenant was deleted). */
  forget(tenant: string): void {
    this.#cache.delete(tenant)
    this.#known.delete(tenant)
  }

  /**
   * Takes room for the prefix of `fresh` that fits, as the hold `id`. Holds of other appends under
   * way may be for entries that turn out stored already (the same entries pushed twice at once) and
   * free their room when they settle: so a push that would be refused while others hold room waits
   * for those holds to settle (at most {@link WAIT_FOR_HOLDS_MS}) and tries again.
   */
  async #reserveWaiting(
    tenant: string,
    db: string,
    id: string,
    fresh: readonly EntryEnvelope[],
    quota: TenantQuota,
  ): Promise<{ admitted: EntryEnvelope[]; refused: RejectedEntry[] }> {
    const deadline = Date.now() + WAIT_FOR_HOLDS_MS
    for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
      const r = await this.#reserve(tenant, db, id, fresh, quota, Date.now() < deadline)
      if (!r.waitFor) return r
      const waitFor = r.waitFor
      do await new Promise((resolve) => setTimeout(resolve, pause))
      while (Date.now() < deadline && (await this.#holding(tenant, waitFor)))
    }
  }

  /** Whether any of the holds `ids` still stands. */
  #holding(tenant: string, ids: readonly string[]): Promise<boolean> {
    return this.#step(tenant, (state) => ids.some((id) => state.holds.has(id)))
  }

  #reserve(
    tenant: string,
    db: string,
    id: string,
    fresh: readonly EntryEnvelope[],
    quota: TenantQuota,
    mayWait: boolean,
  ): Promise<{ admitted: EntryEnvelope[]; refused: RejectedEntry[]; waitFor?: string[] }> {
    return this.#step(tenant, (state, changed) => {
      const used = usedBy(state)
      const admitted: EntryEnvelope[] = []
      const refused: RejectedEntry[] = []
      let bytes = 0
      for (const e of fresh) {
        if (
          refused.length ||
          used.bytes + bytes + e.bytes.length > quota.maxBytesPerTenant ||
          used.entries + admitted.length + 1 > quota.maxEntriesPerTenant
        ) {
          refused.push({ hash: e.hash, error: overQuota(quota) })
          continue
        }
        bytes += e.bytes.length
        admitted.push(e)
      }
      if (refused.length && mayWait && state.holds.size)
        return { admitted: [], refused: [], waitFor: [...state.holds.keys()] }
      if (admitted.length) {
        // A few names go in the record with the hold (one write); more get a record of their own.
        const names = admitted.length <= NAMES_IN_RECORD ? { names: packHashes(admitted.map((e) => e.hash)) } : {}
        state.holds.set(id, { db, bytes, entries: admitted.length, at: Date.now(), ...names })
        changed()
      }
      return { admitted, refused }
    })
  }

  /**
   * Turns the hold `id` into stored entries of its database (their sizes), freeing the rest;
   * `apart`: its names were written in a record of their own, deleted after.
   */
  async #settle(tenant: string, id: string, added: readonly number[], apart: boolean): Promise<void> {
    await this.#step(tenant, (state, changed) => {
      const hold = state.holds.get(id)
      if (!hold) return
      state.holds.delete(id)
      const usage = state.dbs.get(hold.db) ?? { bytes: 0, entries: 0 }
      for (const size of added) usage.bytes += size
      usage.entries += added.length
      state.dbs.set(hold.db, usage)
      changed()
    })
    if (apart) {
      await this.#kv
        .delete(holdKey(tenant, id))
        .catch((err: unknown) => this.#log('could not delete a settled hold', err))
    }
  }

  /** After an append failed: counts what the store holds of it; if even that fails, the next load settles it. */
  async #settleFailed(tenant: string, id: string, store: ChangeStore, admitted: EntryEnvelope[]): Promise<void> {
    try {
      const held = await store.has(admitted.map((e) => e.hash))
      await this.#settle(
        tenant,
        id,
        admitted.filter((_, i) => held[i]).map((e) => e.bytes.length),
        admitted.length > NAMES_IN_RECORD,
      )
    } catch (err) {
      this.#log(`could not settle the storage use of ${tenant} after a failed append`, err)
      this.#cache.delete(tenant)
    }
  }

  /** The tenant's state, read (or, single process, cached), with the holds of dead appends settled. */
  async #load(tenant: string): Promise<UsageState> {
    const cached = this.#shared ? undefined : this.#cache.get(tenant)
    if (cached) return cached
    const raw = await this.#kv.get(stateKey(tenant))
    const state = raw ? decodeState(raw) : await this.#fromLegacy(tenant)
    const now = Date.now()
    const dead = [...state.holds].filter(
      ([id, h]) => !this.#mine.has(id) && (!this.#shared || now - h.at > HOLD_TIMEOUT_MS),
    )
    for (const [id, hold] of dead) {
      const names = hold.names ?? (await this.#kv.get(holdKey(tenant, id)))
      // No hashes written: the process died before its append began.
      const stored = names ? await storedOf(await this.#stores.open(tenant, hold.db), unpackHashes(names)) : []
      const usage = state.dbs.get(hold.db) ?? { bytes: 0, entries: 0 }
      for (const size of stored) usage.bytes += size
      usage.entries += stored.length
      state.dbs.set(hold.db, usage)
      state.holds.delete(id)
    }
    if (dead.length || !raw) await this.#save(tenant, state)
    for (const [id, hold] of dead) if (!hold.names) await this.#kv.delete(holdKey(tenant, id))
    if (!this.#shared) this.#cache.set(tenant, state)
    return state
  }

  /** The state from the per-database records of an earlier version (moved into the one record by the caller, then deleted). */
  async #fromLegacy(tenant: string): Promise<UsageState> {
    const state: UsageState = { dbs: new Map(), holds: new Map() }
    const legacy = await readLegacy(this.#kv, tenant)
    for (const { db, usage, pending } of legacy) {
      if (pending) {
        const stored = await storedOf(await this.#stores.open(tenant, db), unpackHashes(pending))
        for (const size of stored) usage.bytes += size
        usage.entries += stored.length
      }
      state.dbs.set(db, usage)
    }
    if (legacy.length) {
      await this.#save(tenant, state)
      for (const { key } of legacy) await this.#kv.delete(key)
    }
    return state
  }

  async #save(tenant: string, state: UsageState): Promise<void> {
    try {
      await this.#kv.put(stateKey(tenant), encodeState(state))
    } catch (err) {
      this.#cache.delete(tenant) // what is cached may be ahead of the record now
      throw err
    }
  }

  /**
   * Runs `fn` on the tenant's state under its lock. Steps asked for while one runs or waits for the
   * lock are run together, in order, on one read of the state and one write (when any of them
   * `changed` it): under load, pushes of a tenant share the lock instead of queueing on it one by one.
   */
  #step<T>(tenant: string, fn: (state: UsageState, changed: () => void) => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let queue = this.#queued.get(tenant)
      if (!queue) {
        this.#queued.set(tenant, (queue = []))
        void this.#locked(tenant, () => this.#runSteps(tenant)).catch(() => {})
      }
      queue.push({ fn, resolve, reject } as QueuedStep)
    })
  }

  async #runSteps(tenant: string): Promise<void> {
    const steps = this.#queued.get(tenant) ?? []
    this.#queued.delete(tenant)
    const settle: (() => void)[] = []
    try {
      const state = await this.#load(tenant)
      let dirty = false
      for (const step of steps) {
        try {
          const r = await step.fn(state, () => (dirty = true))
          settle.push(() => step.resolve(r))
        } catch (err) {
          settle.push(() => step.reject(err))
        }
      }
      if (dirty) await this.#save(tenant, state)
    } catch (err) {
      for (const step of steps) step.reject(err)
      return
    }
    for (const s of settle) s()
  }

  /** Runs `fn` after every earlier step for the same tenant in this process, holding the tenant's lock in all of them when shared. */
  #locked<T>(tenant: string, fn: () => Promise<T>): Promise<T> {
    let lock = this.#locks.get(tenant)
    if (!lock) this.#locks.set(tenant, (lock = { mutex: new Mutex(), users: 0 }))
    lock.users++
    const held = lock
    const run = this.#shared ? () => exclusively(this.#kv, `usage/${tenant}`, fn) : fn
    return held.mutex.run(run).finally(() => {
      if (--held.users === 0 && this.#locks.get(tenant) === held) this.#locks.delete(tenant)
    })
  }
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
