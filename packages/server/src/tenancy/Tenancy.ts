import { ErrorCodes, WeftError, type ChangeStore, type KeyValueStore, type StoreFactory } from '@weft/core/backend'
import type { TenantQuota } from '../ServerOptions.ts'
import { ApiKeys } from './ApiKeys.ts'
import { exportTenant } from './exportTenant.ts'
import { RequestCounters } from './RequestCounters.ts'
import { EventStreams } from './serveEvents.ts'
import { TenantCatalogue } from './TenantCatalogue.ts'
import { tenantDataOf, type TenantDataStore } from './TenantDataStore.ts'
import { TenantEventBus, type TenantEventType } from './TenantEventBus.ts'
import { eraseTenant, type EraseContext } from './eraseTenant.ts'
import { AppendEvents } from './AppendEvents.ts'
import type { NewTenant } from './TenantCatalogue.ts'
import { effectiveSettings, type EffectiveSettings, type TenantFlags, type TenantRecord } from './TenantRecord.ts'
import type { TenancyOptions } from './TenancyOptions.ts'
import { WebhookDispatcher } from './WebhookDispatcher.ts'
import { moveTenant, releaseStaleHold, type MovableStoreFactory, type MoveContext } from './moveTenant.ts'
import type { TenantGenerations } from '../TenantGenerations.ts'
import type { ClusterState } from '../cluster/ClusterState.ts'

/** What tenancy needs from the rest of the server. */
export interface TenancyDeps {
  readonly kv: KeyValueStore
  readonly factory: StoreFactory
  readonly maxEntryBytes: number
  readonly open: (tenant: string, db: string) => Promise<ChangeStore>
  /** Where each tenant's data lives now, and lived before its resets. */
  readonly generations: TenantGenerations
  /** The tenant's open sockets check their standing again now. */
  readonly recheckLive: (tenant: string) => void
  /** Drops what the server caches of a tenant (after its records were erased). */
  readonly forget: (tenant: string) => void
  readonly log: (message: string, error?: unknown) => void
}

/**
 * The server's tenancy: the catalogue of tenants and their lifecycle, API keys, per-tenant
 * settings, request counters, the event bus with its SSE streams and webhooks, and export and
 * erasure. The request path asks it {@link admit} before serving a tenant.
 */
export class Tenancy {
  readonly catalogue: TenantCatalogue
  readonly keys: ApiKeys
  readonly events = new TenantEventBus()
  readonly streams = new EventStreams()
  readonly webhooks: WebhookDispatcher
  readonly counters: RequestCounters
  /** The events of each append (stored, refused over quota, the quota's warning share passed). */
  readonly appends: AppendEvents
  readonly options: TenancyOptions
  readonly data: TenantDataStore | undefined
  readonly #deps: TenancyDeps
  readonly #defaults: { flags: TenantFlags; maxEntryBytes: number }
  readonly #deleting = new Map<string, Promise<{ databases: number; records: number }>>()
  /** Brings what this process caches of a tenant up to date with the shared storage (set by `share`). */
  #fresh: (tenant: string) => Promise<void> = async () => {}

  private constructor(options: TenancyOptions, deps: TenancyDeps, catalogue: TenantCatalogue) {
    this.options = options
    this.#deps = deps
    this.catalogue = catalogue
    this.keys = new ApiKeys(deps.kv)
    this.counters = new RequestCounters(options.maxCountedTenants)
    this.webhooks = new WebhookDispatcher(options.webhooks, deps.log)
    this.data = options.data ?? tenantDataOf(deps.factory)
    this.#defaults = { flags: options.flags ?? {}, maxEntryBytes: deps.maxEntryBytes }
    this.appends = new AppendEvents((t, type, data) => this.emit(t, type, data), deps.log, options.quotaWarningAt)
    this.events.onEvery((e) => {
      const hooks = this.catalogue.peek(e.tenant)?.config.webhooks
      if (hooks?.length) this.webhooks.deliver(e, hooks)
    })
  }

  /**
   * Opens tenancy over the server's records: opens the catalogue (moving an older server's records
   * into the storage's tenants table, where it has one), makes the default tenant's record, stores
   * the operator's bootstrap admin key, finishes deletions a stop interrupted and releases the holds
   * of moves a stop interrupted (each tenant stays where its row says: moves switch it last).
   */
  static async open(options: TenancyOptions, deps: TenancyDeps): Promise<Tenancy> {
    const catalogue = await TenantCatalogue.open(deps.kv, deps.factory, { isolation: options.isolation ?? 'shared' })
    const t = new Tenancy(options, deps, catalogue)
    await t.catalogue.ensure(t.defaultTenant)
    if (options.adminKey) await t.keys.add(options.adminKey, 'bootstrap', ['admin:tenants', 'admin:keys'])
    for (const id of await t.catalogue.deleting())
      void t.deleteTenant(id).catch((err: unknown) => deps.log(`finishing the deletion of ${id} failed`, err))
    for (const id of await t.catalogue.moving())
      void t.#releaseStale(id).catch((err: unknown) => deps.log(`releasing the hold of ${id} failed`, err))
    return t
  }

  /**
   * Creates a tenant: its catalogue record, then, where the storage places tenants itself
   * (PostgreSQL's `createTenant`), its place under the record's isolation model, so a tenant created
   * as `database` gets a database of its own before its first store opens. A storage that refuses
   * the model (a factory with one model only) refuses the creation, and the record is removed.
   */
  async create(input: NewTenant): Promise<TenantRecord> {
    const record = await this.catalogue.create(input)
    const factory = this.#deps.factory as { createTenant?: (id: string, o: { model: string }) => Promise<unknown> }
    if (typeof factory.createTenant === 'function') {
      try {
        await factory.createTenant(record.id, { model: record.isolation })
      } catch (err) {
        await this.catalogue.remove(record.id)
        throw err
      }
    }
    return record
  }

  /**
   * Shares the catalogue with the other processes over the same storage: changes run in the
   * tenant's cross-process section, and `fresh` is asked before a tenant's record is trusted.
   */
  share(cluster: ClusterState): void {
    this.catalogue.share(cluster)
    this.#fresh = (tenant) => cluster.fresh(tenant)
  }

  /** Brings what this process caches of `tenant` up to date (a no-op for a storage one process holds). */
  refresh(tenant: string): Promise<void> {
    return this.#fresh(tenant)
  }

  /** The tenant data from before tenancy belongs to, and the one a single-tenant server serves. */
  get defaultTenant(): string {
    return this.options.tenant ?? this.options.defaultTenant ?? 'default'
  }

  /**
   * Checks that `tenant` may be served now: `WEFT_TENANT_SUSPENDED` when it is suspended or being
   * deleted. A signed-in tenant without a record (registered before tenancy, or by open
   * registration) is adopted: it gets one, with the server's defaults. `fresh: false` skips
   * bringing the tenant's cached state up to date, for a caller that just did (a sign-in check).
   */
  async admit(tenant: string, options: { adopt: boolean; fresh?: boolean }): Promise<TenantRecord | undefined> {
    if (options.fresh !== false) await this.#fresh(tenant)
    const record = options.adopt ? await this.catalogue.ensure(tenant) : await this.catalogue.get(tenant)
    if (record && record.status !== 'active') {
      throw new WeftError(
        ErrorCodes.TENANT_SUSPENDED,
        record.status === 'deleting' ? 'the tenant is being deleted' : 'the tenant is suspended',
      )
    }
    if (record?.moving !== undefined)
      throw Object.assign(new WeftError(ErrorCodes.TENANT_MOVING, `the tenant is being moved; retry shortly`), {
        retryAfter: MOVE_RETRY_AFTER_S,
      })
    return record
  }

  /** Before a registration: with `managedOnly`, a tenant the catalogue does not hold is refused. */
  async admitRegistration(tenant: string): Promise<void> {
    const record = await this.admit(tenant, { adopt: false })
    if (!record && this.options.managedOnly)
      throw new WeftError(ErrorCodes.TENANT_NOT_FOUND, 'tenants on this server are created through its admin API')
  }

  /** Throws `WEFT_FEATURE_DISABLED` when `flag` is off for the tenant. */
  requireFlag(tenant: string, flag: string): void {
    if (!this.settings(tenant).flags[flag])
      throw new WeftError(ErrorCodes.FEATURE_DISABLED, `${flag} is switched off for this tenant`)
  }

  /** The flags and configuration in force for a tenant (from its cached record). */
  settings(tenant: string): EffectiveSettings {
    return effectiveSettings(this.catalogue.peek(tenant), this.#defaults)
  }

  /** The tenant's quota: its record's overrides over the server's. */
  quota(tenant: string, base: TenantQuota): TenantQuota {
    const own = this.catalogue.peek(tenant)?.quotas
    return own && Object.keys(own).length ? { ...base, ...own } : base
  }

  /** Reports an event of `tenant`. */
  emit(tenant: string, type: TenantEventType, data: Record<string, unknown> = {}): void {
    this.events.emit(tenant, type, data)
  }

  /** Suspends or resumes a tenant; its open sockets are checked at once (a suspended tenant's close). */
  async setSuspended(tenant: string, suspended: boolean): Promise<TenantRecord> {
    const r = await this.catalogue.transition(tenant, suspended ? 'suspend' : 'resume')
    this.#deps.recheckLive(tenant)
    this.emit(tenant, suspended ? 'tenant-suspended' : 'tenant-resumed', { status: r.status })
    return r
  }

  /** The tenant's export stream (see {@link exportTenant}): its data now, not what a reset put out of reach. */
  async export(tenant: string): Promise<AsyncGenerator<string>> {
    const record = await this.catalogue.get(tenant)
    if (!record) throw new WeftError(ErrorCodes.TENANT_NOT_FOUND, `no tenant ${tenant}`)
    const storage = await this.storageName(tenant)
    return exportTenant({ kv: this.#deps.kv, data: this.#requireData(), open: this.#deps.open }, record, storage)
  }

  /** Where the tenant's data lives now: its id, or `<id>/g<n>` after its n-th reset. */
  storageName(tenant: string): Promise<string> {
    return this.#deps.generations.storageName(tenant)
  }

  /**
   * Moves the tenant's data out of reach (a reset): to a new, empty generation, placed in the
   * storage under the tenant's own isolation model (a tenant kept in a database of its own gets a
   * new database, not a place in the shared tables).
   */
  async nextGeneration(tenant: string): Promise<void> {
    const name = await this.#deps.generations.next(tenant)
    const record = await this.catalogue.get(tenant)
    const factory = this.#deps.factory as { createTenant?: (id: string, o: { model: string }) => Promise<unknown> }
    if (record && typeof factory.createTenant === 'function')
      await factory.createTenant(name, { model: record.isolation })
  }

  /**
   * Deletes a tenant: marks it `deleting` (every request refused, sockets closed), erases its change
   * stores and every record the server keeps of it, its API keys, then its catalogue record. A
   * deletion a stop interrupts is finished at the next start.
   */
  deleteTenant(tenant: string): Promise<{ databases: number; records: number }> {
    let p = this.#deleting.get(tenant)
    if (!p) {
      // Async, so a storage that cannot erase refuses with a rejection, not a throw.
      p = (async () => eraseTenant(this.#eraseContext(), tenant))().finally(() => this.#deleting.delete(tenant))
      this.#deleting.set(tenant, p)
    }
    return p
  }

  /**
   * Moves the tenant to the isolation model `isolation` (see {@link moveTenant}), when its
   * configuration allows it (`config.isolationChanges`, else the server's `isolationChanges`).
   */
  move(tenant: string, isolation: string): Promise<TenantRecord> {
    return moveTenant(this.#moveContext(), tenant, isolation)
  }

  /**
   * Closes what this process holds open of the tenant's storage (every generation), so the next
   * request opens it where its row says now: after a move here or in another process.
   */
  async closeStorage(tenant: string): Promise<void> {
    const factory = this.#deps.factory as MovableStoreFactory
    for (const name of await this.#deps.generations.allStorageNames(tenant)) {
      this.#deps.forget(name)
      await factory.closeTenant?.(name)
    }
  }

  close(): void {
    this.webhooks.close()
    this.streams.closeAll()
  }

  #moveContext(): MoveContext {
    return {
      catalogue: this.catalogue,
      factory: this.#deps.factory as MovableStoreFactory,
      kv: this.#deps.kv,
      allowed: this.options.isolationChanges ?? [],
      storageNames: (t) => this.#deps.generations.allStorageNames(t),
      closeStorage: (t) => this.closeStorage(t),
      recheckLive: this.#deps.recheckLive,
      emit: (t, type, data) => this.emit(t, type, data),
    }
  }

  #eraseContext(): EraseContext {
    const deps = this.#deps
    return {
      data: this.#requireData(),
      catalogue: this.catalogue,
      kv: deps.kv,
      keys: this.keys,
      generations: deps.generations,
      defaultTenant: this.defaultTenant,
      recheckLive: deps.recheckLive,
      emit: (t, type) => this.emit(t, type),
      forget: (t) => {
        deps.forget(t)
        this.counters.forget(t)
        this.appends.forget(t)
      },
      closeStreams: (t) => this.streams.closeTenant(t),
    }
  }

  /** Releases a hold no move holds any more (its process stopped): the lock of the move tells. */
  #releaseStale(tenant: string): Promise<void> {
    return releaseStaleHold(this.#moveContext(), tenant)
  }

  #requireData(): TenantDataStore {
    if (!this.data)
      throw new WeftError(ErrorCodes.FEATURE_DISABLED, "this server's storage cannot list or erase a tenant's stores")
    return this.data
  }
}

/** Seconds a member refused while its tenant is moved waits before it retries. */
const MOVE_RETRY_AFTER_S = 2
