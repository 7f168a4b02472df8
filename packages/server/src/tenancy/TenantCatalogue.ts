import { ErrorCodes, packValue, unpackValue, WeftError, type KeyValueStore } from '@weft/core/backend'
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

const PREFIX = 'catalogue/'
/** Largest stored record read back (a record is bounded far below this by the admin API's parsers). */
const MAX_RECORD_BYTES = 1 << 20

/**
 * The server's tenants: one record each in the server's key-value store (so it lives wherever the
 * storage does), with its lifecycle status, quotas, configuration and flags. Records once read stay
 * cached, so the request path reads a tenant's status and quotas without a storage read; every
 * change to one tenant runs after the previous one finished.
 */
export class TenantCatalogue {
  readonly #kv: KeyValueStore
  readonly #isolation: string
  readonly #now: () => number
  readonly #cache = new Map<string, TenantRecord>()
  readonly #queues = new Map<string, Promise<unknown>>()
  #cluster: ClusterState | undefined

  constructor(kv: KeyValueStore, options: { isolation: string; now?: () => number }) {
    this.#kv = kv
    this.#isolation = options.isolation
    this.#now = options.now ?? Date.now
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
    const raw = await this.#kv.get(PREFIX + id)
    if (!raw) return undefined
    const record = decodeRecord(raw)
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

  /** Removes the record of `id` (the last step of deleting a tenant). */
  remove(id: string): Promise<void> {
    return this.#serial(id, async () => {
      await this.#kv.delete(PREFIX + id)
      this.#cache.delete(id)
    })
  }

  /** Up to `limit` records in id order, after the id `after`; `next` is the `after` of the next page. */
  async list(after: string | undefined, limit: number): Promise<{ tenants: TenantRecord[]; next?: string }> {
    const ids = (await this.#kv.keys(PREFIX)).map((k) => k.slice(PREFIX.length))
    const start = after === undefined ? 0 : ids.findIndex((id) => id > after)
    const page = start < 0 ? [] : ids.slice(start, start + limit)
    const tenants: TenantRecord[] = []
    for (const id of page) {
      const r = await this.get(id)
      if (r) tenants.push(r)
    }
    const more = start >= 0 && start + limit < ids.length
    return more ? { tenants, next: page.at(-1)! } : { tenants }
  }

  /** Ids of tenants being deleted (a deletion a restart interrupted is finished from these). */
  async deleting(): Promise<string[]> {
    const out: string[] = []
    for (const key of await this.#kv.keys(PREFIX)) {
      const r = await this.get(key.slice(PREFIX.length))
      if (r?.status === 'deleting') out.push(r.id)
    }
    return out
  }

  #change(id: string, fn: (r: TenantRecord) => TenantRecord): Promise<TenantRecord> {
    return this.#serial(id, async () => {
      const current = await this.get(id)
      if (!current) throw new WeftError(ErrorCodes.TENANT_NOT_FOUND, `no tenant ${id}`)
      const next = {
        ...fn(current),
        id,
        createdAt: current.createdAt,
        updatedAt: Math.max(this.#now(), current.updatedAt),
      }
      await this.#write(next)
      return next
    })
  }

  async #write(record: TenantRecord): Promise<void> {
    await this.#kv.put(PREFIX + record.id, packValue({ v: 1, ...record }))
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

function decodeRecord(bytes: Uint8Array): TenantRecord {
  const r = unpackValue<TenantRecord & { v: number }>(bytes, MAX_RECORD_BYTES)
  if (
    r?.v !== 1 ||
    typeof r.id !== 'string' ||
    typeof r.name !== 'string' ||
    typeof r.isolation !== 'string' ||
    !['active', 'suspended', 'deleting'].includes(r.status) ||
    !Number.isSafeInteger(r.createdAt) ||
    !Number.isSafeInteger(r.updatedAt)
  ) {
    throw new WeftError(ErrorCodes.STORAGE_ERROR, 'a tenant record of the server does not parse')
  }
  const { v: _v, ...record } = r
  return { ...record, quotas: r.quotas ?? {}, config: r.config ?? {}, flags: r.flags ?? {} }
}
