import {
  ErrorCodes,
  packHashes,
  packValue,
  unpackHashes,
  unpackValue,
  WeftError,
  type AppendResult,
  type ChangeHash,
  type ChangeStore,
  type Cursor,
  type EntryEnvelope,
  type KeyValueStore,
  type RejectedEntry,
} from '@weft/core/backend'
import type { TenantQuota } from './ServerOptions.ts'
import type { TenantStores } from './TenantStores.ts'
import type { ClusterState } from './cluster/ClusterState.ts'

/** Entry bytes and entries, as counted for a quota. */
export interface Usage {
  bytes: number
  entries: number
}

/** What one tenant stores: per database, and in total. */
interface TenantState {
  readonly dbs: Map<string, Usage>
  readonly total: Usage
}

/**
 * The record kept per (tenant, database) in the server's key-value store. `pending` (concatenated
 * 32-byte hashes) names the entries of an append under way: written before the append, cleared
 * after it, in the same put as the new counts.
 */
interface DbRecord {
  readonly v: 1
  readonly bytes: number
  readonly entries: number
  readonly pending?: Uint8Array
}

const SCAN_PAGE = 1_000

/**
 * Each tenant's storage use (entry bytes, entries, databases) across its databases, kept in the
 * server's key-value store so it survives restarts, and the quotas checked against it.
 *
 * Everything that changes a tenant's use runs one at a time per tenant (pushes from many clients
 * queue, as mailbox writes do), so concurrent pushes never overshoot a quota. Crashes: before an
 * append, the record of its database names the entries about to be written; after, one put
 * replaces that with the new counts. A server that stopped in between finds the names at start-up
 * and counts those the store holds, so the use is exact after a crash, never under. A database
 * the ledger has not seen before (created by a server without quotas) is measured once, when
 * first opened.
 */
export class UsageLedger {
  readonly #kv: KeyValueStore
  readonly #stores: TenantStores
  readonly #log: (message: string, error?: unknown) => void
  readonly #states = new Map<string, TenantState>()
  readonly #queues = new Map<string, Promise<void>>()
  #cluster: ClusterState | undefined

  constructor(kv: KeyValueStore, stores: TenantStores, log: (message: string, error?: unknown) => void = () => {}) {
    this.#kv = kv
    this.#stores = stores
    this.#log = log
  }

  /**
   * Shares the counts with the other processes over the same storage: every step runs under the
   * tenant's usage lock in every process, after reading the counts again if another process moved
   * them, so quotas hold exactly whichever processes a tenant pushes through.
   */
  share(cluster: ClusterState): void {
    this.#cluster = cluster
  }

  /** The tenant's use now, across its databases. */
  usage(tenant: string): Promise<Usage & { databases: number }> {
    return this.#serial(
      tenant,
      async () => {
        const s = await this.#state(tenant)
        return { bytes: s.total.bytes, entries: s.total.entries, databases: s.dbs.size }
      },
      false,
    )
  }

  /**
   * A database of the tenant, opened. One the tenant never opened counts against
   * `maxDatabasesPerTenant`: over it, `WEFT_QUOTA_EXCEEDED`, and nothing is created.
   */
  open(tenant: string, db: string, quota: TenantQuota): Promise<ChangeStore> {
    if (this.#states.get(tenant)?.dbs.has(db)) return this.#stores.open(tenant, db)
    return this.#serial(tenant, async () => {
      await this.#database(await this.#state(tenant), tenant, db, quota)
      return this.#stores.open(tenant, db)
    })
  }

  /**
   * Appends entries a push brought (already checked for shape, size and author), within the
   * tenant's quotas. Entries the database holds already are `existing` and count nothing. The new
   * ones are taken in order while they fit; the first that does not fit and every new entry after
   * it are rejected with `WEFT_QUOTA_EXCEEDED`, so what a push leaves out is always a suffix of it
   * (no gap in a document's history behind a later change). The store then verifies what was
   * admitted; one result per distinct hash.
   */
  append(tenant: string, db: string, entries: readonly EntryEnvelope[], quota: TenantQuota): Promise<AppendResult> {
    return this.#serial(tenant, async () => {
      const state = await this.#state(tenant)
      const usage = await this.#database(state, tenant, db, quota)
      const store = await this.#stores.open(tenant, db)
      const seen = new Set<string>()
      const unique = entries.filter((e) => !seen.has(e.hash) && seen.add(e.hash))
      const held = unique.length ? await store.has(unique.map((e) => e.hash)) : []
      const existing: ChangeHash[] = []
      const admitted: EntryEnvelope[] = []
      const refused: RejectedEntry[] = []
      let bytes = state.total.bytes
      let count = state.total.entries
      unique.forEach((e, i) => {
        if (held[i]) return void existing.push(e.hash)
        if (
          refused.length ||
          bytes + e.bytes.length > quota.maxBytesPerTenant ||
          count + 1 > quota.maxEntriesPerTenant
        ) {
          return void refused.push({ hash: e.hash, error: overQuota(quota) })
        }
        bytes += e.bytes.length
        count++
        admitted.push(e)
      })
      if (admitted.length === 0) return { added: [], existing, rejected: refused }

      const key = recordKey(tenant, db)
      await this.#kv.put(
        key,
        encodeRecord(
          usage,
          admitted.map((e) => e.hash),
        ),
      )
      let r: AppendResult
      try {
        r = await store.appendMany(admitted)
      } catch (err) {
        await this.#settleFailed(tenant, db, state, usage, store, admitted)
        throw err
      }
      const sizes = new Map(admitted.map((e) => [e.hash, e.bytes.length]))
      addStored(
        state,
        usage,
        r.added.map((h) => sizes.get(h)!),
      )
      try {
        await this.#kv.put(key, encodeRecord(usage))
      } catch (err) {
        // The entries are stored; the record still names them as pending, so reloading it counts them.
        this.#log(`could not record the storage use of ${tenant}/${db}`, err)
        this.#states.delete(tenant)
      }
      return { added: r.added, existing: [...existing, ...r.existing], rejected: [...r.rejected, ...refused] }
    })
  }

  /** Drops what is cached of `tenant` after its records were erased (the tenant was deleted). */
  forget(tenant: string): void {
    this.#states.delete(tenant)
  }

  /** The tenant's use, loaded from its records once (counting what a crash left pending). */
  async #state(tenant: string): Promise<TenantState> {
    const known = this.#states.get(tenant)
    if (known) return known
    const state: TenantState = { dbs: new Map(), total: { bytes: 0, entries: 0 } }
    const prefix = recordPrefix(tenant)
    for (const key of await this.#kv.keys(prefix)) {
      const raw = await this.#kv.get(key)
      if (!raw) continue
      const record = decodeRecord(raw)
      const db = key.slice(prefix.length)
      const usage: Usage = { bytes: record.bytes, entries: record.entries }
      if (record.pending?.length) await this.#recover(tenant, db, usage, unpackHashes(record.pending))
      state.dbs.set(db, usage)
      state.total.bytes += usage.bytes
      state.total.entries += usage.entries
    }
    this.#states.set(tenant, state)
    return state
  }

  /** An append was under way when the server stopped: counts those of its entries the store holds. */
  async #recover(tenant: string, db: string, usage: Usage, pending: ChangeHash[]): Promise<void> {
    const store = await this.#stores.open(tenant, db)
    const held = await store.has(pending)
    const kept = pending.filter((_, i) => held[i])
    usage.entries += kept.length
    for (const e of await store.getChanges(kept)) usage.bytes += e.bytes.length
    await this.#kv.put(recordKey(tenant, db), encodeRecord(usage))
  }

  /** The use of a database; a database new to the ledger is admitted (or refused) and measured. */
  async #database(state: TenantState, tenant: string, db: string, quota: TenantQuota): Promise<Usage> {
    const known = state.dbs.get(db)
    if (known) return known
    if (state.dbs.size >= quota.maxDatabasesPerTenant) {
      throw new WeftError(
        ErrorCodes.QUOTA_EXCEEDED,
        `the tenant has its limit of ${quota.maxDatabasesPerTenant} databases on this server`,
      )
    }
    const usage = await measure(await this.#stores.open(tenant, db))
    await this.#kv.put(recordKey(tenant, db), encodeRecord(usage))
    state.dbs.set(db, usage)
    state.total.bytes += usage.bytes
    state.total.entries += usage.entries
    return usage
  }

  /** After an append failed: counts what the store holds of it, or forgets the tenant so its record is read again. */
  async #settleFailed(
    tenant: string,
    db: string,
    state: TenantState,
    usage: Usage,
    store: ChangeStore,
    admitted: EntryEnvelope[],
  ): Promise<void> {
    try {
      const held = await store.has(admitted.map((e) => e.hash))
      addStored(
        state,
        usage,
        admitted.filter((_, i) => held[i]).map((e) => e.bytes.length),
      )
      await this.#kv.put(recordKey(tenant, db), encodeRecord(usage))
    } catch (err) {
      this.#log(`could not settle the storage use of ${tenant}/${db} after a failed append`, err)
      this.#states.delete(tenant)
    }
  }

  /** Runs `fn` after every earlier call for the same tenant has finished (in every process, when shared). */
  #serial<T>(tenant: string, fn: () => Promise<T>, write = true): Promise<T> {
    const cluster = this.#cluster
    // A read of counts not cached reads the records, which another process's append may have half written: under the lock.
    const shared = () =>
      cluster!.section(`usage/${tenant}`, () => void this.#states.delete(tenant), fn, {
        write,
        lock: !this.#states.has(tenant),
      })
    const run = (this.#queues.get(tenant) ?? Promise.resolve()).then(cluster ? shared : fn)
    const tail = run.then(
      () => undefined,
      () => undefined,
    )
    this.#queues.set(tenant, tail)
    void tail.then(() => {
      if (this.#queues.get(tenant) === tail) this.#queues.delete(tenant)
    })
    return run
  }
}

/** Adds newly stored entries (their sizes) to a database's and its tenant's use. */
function addStored(state: TenantState, usage: Usage, sizes: readonly number[]): void {
  for (const size of sizes) {
    usage.bytes += size
    state.total.bytes += size
  }
  usage.entries += sizes.length
  state.total.entries += sizes.length
}

/** What a store holds already: nothing for a new one, a full read for one written before quotas. */
async function measure(store: ChangeStore): Promise<Usage> {
  const usage: Usage = { bytes: 0, entries: 0 }
  if ((await store.head()).count === 0) return usage
  for (let cursor: Cursor | null = null, done = false; !done;) {
    const page = await store.scan(cursor, { limit: SCAN_PAGE })
    for (const e of await store.getChanges(page.entries.map((x) => x.hash))) usage.bytes += e.bytes.length
    usage.entries += page.entries.length
    cursor = page.cursor
    done = page.done
  }
  return usage
}

function overQuota(q: TenantQuota): WeftError {
  return new WeftError(
    ErrorCodes.QUOTA_EXCEEDED,
    `the tenant's storage on this server is full (at most ${q.maxBytesPerTenant} bytes and ${q.maxEntriesPerTenant} entries)`,
  )
}

function recordPrefix(tenant: string): string {
  return `usage/${tenant}/`
}

function recordKey(tenant: string, db: string): string {
  return recordPrefix(tenant) + db
}

function encodeRecord(usage: Usage, pending?: readonly ChangeHash[]): Uint8Array {
  const r: DbRecord = {
    v: 1,
    bytes: usage.bytes,
    entries: usage.entries,
    ...(pending?.length ? { pending: packHashes(pending) } : {}),
  }
  return packValue(r)
}

function decodeRecord(bytes: Uint8Array): DbRecord {
  const r = unpackValue<DbRecord>(bytes, 64 << 20)
  if (r?.v !== 1 || !Number.isSafeInteger(r.bytes) || !Number.isSafeInteger(r.entries)) {
    throw new WeftError(ErrorCodes.STORAGE_ERROR, 'a storage use record of the server does not parse')
  }
  return r
}
