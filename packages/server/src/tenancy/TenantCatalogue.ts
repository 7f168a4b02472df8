import {
  ErrorCodes,
  readRecordPage,
  WeftError,
  type KeyValueStore,
  type StoreFactory,
  type TenantCatalogueStore,
} from '@weft/core/backend'
import { recordOf, rowOf } from './catalogueRow.ts'
import { CATALOGUE_PREFIX, decodeRow, KeyValueCatalogueStore } from './KeyValueCatalogueStore.ts'
import {
  nextStatus,
  type TenantConfig,
  type TenantFlags,
  type TenantQuotaOverrides,
  type TenantRecord,
  type TenantTransition,
} from './TenantRecord.ts'
import type { ClusterState } from '../cluster/ClusterState.ts'

/** What creating a tenant takes; everything but the id has a default. */
export interface NewTenant {
  readonly id: string
  readonly name?: string
  readonly isolation?: string
  readonly quotas?: TenantQuotaOverrides
  readonly config?: TenantConfig
  readonly flags?: TenantFlags
}

/** A change to a tenant: each field given replaces the record's whole field. */
export interface TenantPatch {
  readonly name?: string
  readonly quotas?: TenantQuotaOverrides
  readonly config?: TenantConfig
  readonly flags?: TenantFlags
}

/** Most tenants being deleted or moved that one start finishes (the rest at the next). */
const MAX_PENDING = 10_000

/**
 * The server's tenants: one row each in a {@link TenantCatalogueStore}: the storage's own tenants
 * table where it places tenants itself (PostgreSQL: the same row says where the tenant's data
 * lives), else records of the server's key-value store. Each row holds the tenant's lifecycle
 * status, quotas, configuration and flags. Records once read stay cached, so the request path
 * reads a tenant's status and quotas without a storage read; every change to one tenant runs after
 * the previous one finished. Listing reads one page of rows, never all of them.
 */
export class TenantCatalogue {
  readonly #store: TenantCatalogueStore
  readonly #isolation: string
  readonly #now: () => number
  readonly #cache = new Map<string, TenantRecord>()
  readonly #queues = new Map<string, Promise<unknown>>()
  #cluster: ClusterState | undefined

  constructor(store: TenantCatalogueStore, options: { isolation: string; now?: () => number }) {
    this.#store = store
    this.#isolation = options.isolation
    this.#now = options.now ?? Date.now
  }

  /**
   * The catalogue of a server: in the storage's tenants table when `factory` offers one (the
   * records an older server kept in `kv` are moved into it first, each once: a record is deleted
   * from `kv` after its row is written, and never written over a row changed since), else in `kv`.
   */
  static async open(
    kv: KeyValueStore,
    factory: StoreFactory,
    options: { isolation: string; now?: () => number },
  ): Promise<TenantCatalogue> {
    const own = factory.catalogueStore?.()
    if (!own) return new TenantCatalogue(await KeyValueCatalogueStore.open(kv), options)
    for (;;) {
      const page = await readRecordPage(kv, CATALOGUE_PREFIX, { limit: 500 })
      for (const [key, bytes] of page) {
        await own.put(decodeRow(bytes), { keepNewer: true })
        await kv.delete(key)
      }
      if (page.length < 500) break
    }
    return new TenantCatalogue(own, options)
  }

  /**
   * Shares this state with the other processes over the same storage: every change runs in the
   * tenant's cross-process section (see `ClusterState`), after what another process changed is
   * read again.
   */
  share(cluster: ClusterState): void {
    this.#cluster = cluster
  }

  /** Reads the record of `id` again (another process changed it). */
  async reload(id: string): Promise<TenantRecord | undefined> {
    this.#cache.delete(id)
    return this.get(id)
  }

  /** The record of `id`, if it was read already (no storage read). */
  peek(id: string): TenantRecord | undefined {
    return this.#cache.get(id)
  }

  /** The record of `id`, or undefined when the catalogue has none. */
  async get(id: string): Promise<TenantRecord | undefined> {
    const cached = this.#cache.get(id)
    if (cached) return cached
    const row = await this.#store.get(id)
    if (!row) return undefined
    const record = recordOf(row)
    this.#cache.set(id, record)
    return record
  }

  /** Adds a tenant (`WEFT_TENANT_EXISTS` when the id has a record). `adopted`: found in use, not created by an operator. */
  create(t: NewTenant, options: { adopted?: boolean } = {}): Promise<TenantRecord> {
    return this.#serial(t.id, async () => {
      if (await this.get(t.id)) throw new WeftError(ErrorCodes.TENANT_EXISTS, `tenant ${t.id} exists`)
      const now = this.#now()
      const record: TenantRecord = {
        id: t.id,
        name: t.name ?? t.id,
        isolation: t.isolation ?? this.#isolation,
        status: 'active',
        createdAt: now,
        updatedAt: now,
        quotas: t.quotas ?? {},
        config: t.config ?? {},
        flags: t.flags ?? {},
        ...(options.adopted ? { adopted: true } : {}),
      }
      await this.#write(record)
      return record
    })
  }

  /** The record of `id`, adding one (adopted) when there is none. */
  async ensure(id: string): Promise<TenantRecord> {
    const known = await this.get(id)
    if (known) return known
    return this.create({ id }, { adopted: true }).catch(async (err: unknown) => {
      const now = await this.get(id) // created meanwhile by another request
      if (now) return now
      throw err
    })
  }

  /** Replaces the fields `patch` gives. */
  update(id: string, patch: TenantPatch): Promise<TenantRecord> {
    return this.#change(id, (r) => {
      if (r.status === 'deleting') throw new WeftError(ErrorCodes.TENANT_STATE, 'the tenant is being deleted')
      return { ...r, ...patch }
    })
  }

  /** Takes a lifecycle step (`WEFT_TENANT_STATE` when the tenant's status does not allow it). */
  transition(id: string, step: TenantTransition): Promise<TenantRecord> {
    return this.#change(id, (r) => ({ ...r, status: nextStatus(r.status, step) }))
  }

  /**
   * Holds the tenant for a move to `model` (its members are refused meanwhile):
   * `WEFT_TENANT_MOVING` when it is held already, `WEFT_TENANT_STATE` when it is being deleted.
   */
  hold(id: string, model: string): Promise<TenantRecord> {
    return this.#change(id, (r) => {
      if (r.moving !== undefined) throw new WeftError(ErrorCodes.TENANT_MOVING, `tenant ${id} is being moved already`)
      if (r.status === 'deleting') throw new WeftError(ErrorCodes.TENANT_STATE, 'the tenant is being deleted')
      return { ...r, moving: model }
    })
  }

  /** Ends the hold of a move (the record is read again first: the move changed its isolation). */
  release(id: string): Promise<TenantRecord> {
    return this.#serial(id, async () => {
      this.#cache.delete(id)
      return this.#changeNow(id, ({ moving: _moving, ...r }) => r)
    })
  }

  /** Removes the record of `id` (the last step of deleting a tenant). */
  remove(id: string): Promise<void> {
    return this.#serial(id, async () => {
      await this.#store.delete(id)
      this.#cache.delete(id)
    })
  }

  /** Up to `limit` records in id order, after the id `after`; `next` is the `after` of the next page. */
  async list(after: string | undefined, limit: number): Promise<{ tenants: TenantRecord[]; next?: string }> {
    const rows = await this.#store.page(after, limit + 1)
    const tenants = rows.slice(0, limit).map((row) => {
      const record = recordOf(row)
      this.#cache.set(record.id, record)
      return record
    })
    return rows.length > limit ? { tenants, next: tenants.at(-1)!.id } : { tenants }
  }

  /** Ids of tenants being deleted (a deletion a restart interrupted is finished from these). */
  async deleting(): Promise<string[]> {
    return (await this.#pending()).filter((r) => r.status === 'deleting').map((r) => r.id)
  }

  /** Ids of tenants held for a move (a hold a restart interrupted is released from these). */
  async moving(): Promise<string[]> {
    return (await this.#pending()).filter((r) => r.moving !== undefined).map((r) => r.id)
  }

  async #pending(): Promise<TenantRecord[]> {
    const out: TenantRecord[] = []
    for (const id of await this.#store.pending(MAX_PENDING)) {
      const r = await this.reload(id)
      if (r) out.push(r)
    }
    return out
  }

  #change(id: string, fn: (r: TenantRecord) => TenantRecord): Promise<TenantRecord> {
    return this.#serial(id, () => this.#changeNow(id, fn))
  }

  async #changeNow(id: string, fn: (r: TenantRecord) => TenantRecord): Promise<TenantRecord> {
    const current = await this.get(id)
    if (!current) throw new WeftError(ErrorCodes.TENANT_NOT_FOUND, `no tenant ${id}`)
    const next = {
      ...fn(current),
      id,
      isolation: current.isolation,
      createdAt: current.createdAt,
      updatedAt: Math.max(this.#now(), current.updatedAt),
    }
    await this.#write(next)
    return next
  }

  async #write(record: TenantRecord): Promise<void> {
    await this.#store.put(rowOf(record))
    this.#cache.set(record.id, record)
  }

  #serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const cluster = this.#cluster
    const run = (this.#queues.get(id) ?? Promise.resolve()).then(() => (cluster ? cluster.tenantSection(id, fn) : fn()))
    const tail = run.catch(() => undefined)
    this.#queues.set(id, tail)
    void tail.then(() => this.#queues.get(id) === tail && this.#queues.delete(id))
    return run
  }
}
