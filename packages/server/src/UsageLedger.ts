import {
  ErrorCodes,
  packHashes,
  randomBytes,
  toBase64Url,
  WeftError,
  type AppendResult,
  type ChangeStore,
  type EntryEnvelope,
  type KeyValueStore,
  type RejectedEntry,
} from '@weft/core/backend'
import type { TenantQuota } from './ServerOptions.ts'
import type { TenantStores } from './TenantStores.ts'
import { holdKey, measure, NAMES_IN_RECORD, overQuota, usedBy, type Usage } from './usageRecords.ts'
import { HOLD_TIMEOUT_MS, UsageSteps } from './UsageSteps.ts'

export type { Usage } from './usageRecords.ts'

/** What {@link UsageLedger.append} did, and the tenant's use as its last step left it (when it recorded one). */
export type LedgerAppend = AppendResult & { readonly used?: Usage }
export { HOLD_TIMEOUT_MS }

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
  readonly #known = new Map<string, Set<string>>()
  /** Holds of appends under way in this process, which no load settles. */
  readonly #mine = new Set<string>()
  /** Each tenant's state, read and written under its lock. */
  readonly #steps: UsageSteps

  constructor(kv: KeyValueStore, stores: TenantStores, log: (message: string, error?: unknown) => void = () => {}) {
    this.#kv = kv
    this.#stores = stores
    this.#log = log
    this.#steps = new UsageSteps({ kv, stores, mine: this.#mine })
  }

  /**
   * Shares the counts with the other processes over the same storage: every step reads the
   * tenant's record again under a lock every process takes, so quotas hold exactly whichever
   * processes a tenant pushes through.
   */
  share(): void {
    this.#steps.share()
  }

  /** The tenant's use now, across its databases (holds of appends under way included). */
  usage(tenant: string): Promise<Usage & { databases: number }> {
    return this.#steps.read(tenant, (state) => ({ ...usedBy(state), databases: state.dbs.size }))
  }

  /**
   * A database of the tenant, opened. One the tenant never opened counts against
   * `maxDatabasesPerTenant`: over it, `WEFT_QUOTA_EXCEEDED`, and nothing is created.
   */
  async open(tenant: string, db: string, quota: TenantQuota): Promise<ChangeStore> {
    if (this.#known.get(tenant)?.has(db)) return this.#stores.open(tenant, db)
    await this.#steps.step(tenant, async (state, changed) => {
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
  ): Promise<LedgerAppend> {
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
      const used = await this.#settle(
        tenant,
        id,
        r.added.map((h) => sizes.get(h)!),
        admitted.length > NAMES_IN_RECORD,
      ).catch((err: unknown) => {
        // The entries are stored and the hold names them: the next load settles it from the store.
        this.#log(`could not record the storage use of ${tenant}/${db}`, err)
        this.#steps.uncache(tenant)
        return undefined
      })
      const result = {
        added: r.added,
        existing: [...existing, ...r.existing],
        rejected: [...r.rejected, ...refused],
        ...(r.arrived && { arrived: r.arrived }),
      }
      return used ? { ...result, used } : result
    } finally {
      this.#mine.delete(id)
    }
  }

  /** Drops what is cached of `tenant` after its records were erased (the tenant was deleted). */
  forget(tenant: string): void {
    this.#steps.uncache(tenant)
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
    return this.#steps.step(tenant, (state) => ids.some((id) => state.holds.has(id)))
  }

  #reserve(
    tenant: string,
    db: string,
    id: string,
    fresh: readonly EntryEnvelope[],
    quota: TenantQuota,
    mayWait: boolean,
  ): Promise<{ admitted: EntryEnvelope[]; refused: RejectedEntry[]; waitFor?: string[] }> {
    return this.#steps.step(tenant, (state, changed) => {
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
  async #settle(tenant: string, id: string, added: readonly number[], apart: boolean): Promise<Usage | undefined> {
    const used = await this.#steps.step(tenant, (state, changed) => {
      const hold = state.holds.get(id)
      if (!hold) return undefined
      state.holds.delete(id)
      const usage = state.dbs.get(hold.db) ?? { bytes: 0, entries: 0 }
      for (const size of added) usage.bytes += size
      usage.entries += added.length
      state.dbs.set(hold.db, usage)
      changed()
      return usedBy(state)
    })
    if (apart) {
      await this.#kv
        .delete(holdKey(tenant, id))
        .catch((err: unknown) => this.#log('could not delete a settled hold', err))
    }
    return used
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
      this.#steps.uncache(tenant)
    }
  }
}
