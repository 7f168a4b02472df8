import { ErrorCodes, WeftError, type KeyValueStore, type StoreFactory, type StoreOptions } from '@weft/core/backend'
import type { PoolClient } from 'pg'
import { locationOf } from './locations.ts'
import { copyTenant, type TenantCopy } from './copyTenant.ts'
import { MainDatabase } from './MainDatabase.ts'
import { OpenStores } from './OpenStores.ts'
import { PostgresChangeStore } from './PostgresChangeStore.ts'
import { PostgresKeyValueStore } from './PostgresKeyValueStore.ts'
import { PostgresClusterBus } from './PostgresClusterBus.ts'
import { PostgresCatalogueStore } from './PostgresCatalogueStore.ts'
import { PostgresServerRecords } from './PostgresServerRecords.ts'
import { TenantPlacements } from './TenantPlacements.ts'
import { TenantsTable } from './TenantsTable.ts'
import { tenantOfStore } from './tenantOfStore.ts'
import { isIsolationModel, type IsolationModel, type TenantRecord } from './types.ts'

/** Options of a {@link PostgresStoreFactory}. */
export interface PostgresStoreFactoryOptions {
  /**
   * Connection URL of the main database, as a user that owns Weft's tables and may create roles,
   * schemas and (for the `database` model) databases. Queries of tenants' rows never run as this
   * user: they switch, per transaction, to a role without those rights.
   */
  readonly url: string
  /**
   * How tenants are kept apart: one model for all, or `hybrid`: the tenants table says which model
   * each tenant uses ({@link PostgresStoreFactory.createTenant}), `defaultModel` for tenants first
   * seen without one. Default `shared`.
   */
  readonly isolation?: IsolationModel | 'hybrid'
  /** The model of new tenants under `hybrid`. Default `shared`. */
  readonly defaultModel?: IsolationModel
  /**
   * Connection URL for the connections that must keep a PostgreSQL session of their own: the
   * server records' locks (session advisory locks), the cluster bus's `LISTEN`, and the lock that
   * orders the creation of tenant databases. Default `url`. Set it when `url` goes through a pooler
   * in transaction mode (PgBouncer's `pool_mode = transaction`): to the same database, directly or
   * through the pooler in session mode, as the same user. The first start checks that it reaches
   * the database `url` does, and fails with `WEFT_INVALID_ARGUMENT` if not.
   */
  readonly sessionUrl?: string
  /**
   * Whether the server's records go to `url` as named prepared statements (planned once per
   * connection). A pooler in transaction mode keeps them only if it tracks them (PgBouncer 1.21 or
   * later with `max_prepared_statements` above zero); older ones fail with "prepared statement
   * does not exist". Default: true without `sessionUrl`, false with it (a pooler is then assumed).
   */
  readonly preparedStatements?: boolean
  /** Most connections of each pool (the main database's, and each tenant database's). Default 10. */
  readonly maxConnections?: number
  /** Options for the change stores it opens (entry limits, most entries per append), or a function of the store name. */
  readonly storeOptions?: StoreOptions | ((name: string) => StoreOptions)
}

/**
 * Keeps every store of a Weft server (or a `TenantFactory`) in PostgreSQL, each tenant isolated by
 * the model chosen for it: its own database, its own schema, or shared tables under row-level
 * security. Store names are `<tenant>/<db>`; the tenant is the part before the last slash. Record
 * stores named without a slash belong to no tenant (the server's own records). The main database
 * is migrated on first use, under an advisory lock; a tenant's schema or database is created and
 * migrated when it is first opened. Pools are bounded (`maxConnections` each) and ended by
 * {@link close}.
 */
export class PostgresStoreFactory implements StoreFactory {
  readonly #url: string
  readonly #isolation: IsolationModel | 'hybrid'
  readonly #defaultModel: IsolationModel
  readonly #storeOptions: (name: string) => StoreOptions
  readonly #prepared: boolean
  readonly #main: MainDatabase
  readonly #table: TenantsTable
  readonly #placements: TenantPlacements
  readonly #open = new OpenStores(() => this.#checkOpen())
  #closing: Promise<void> | undefined
  readonly #buses = new Set<PostgresClusterBus>()

  constructor(options: PostgresStoreFactoryOptions) {
    if (typeof options?.url !== 'string' || options.url.length === 0)
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'PostgresStoreFactory needs a connection url')
    const isolation = options.isolation ?? 'shared'
    if (isolation !== 'hybrid' && !isIsolationModel(isolation))
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `unknown isolation model ${String(isolation)}`)
    if (options.defaultModel !== undefined && !isIsolationModel(options.defaultModel))
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `unknown isolation model ${String(options.defaultModel)}`)
    this.#url = options.url
    this.#isolation = isolation
    this.#defaultModel = isolation === 'hybrid' ? (options.defaultModel ?? 'shared') : isolation
    const o = options.storeOptions ?? {}
    this.#storeOptions = typeof o === 'function' ? o : () => o
    if (options.sessionUrl !== undefined && (typeof options.sessionUrl !== 'string' || options.sessionUrl.length === 0))
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'sessionUrl, when given, is a connection url')
    this.#prepared = options.preparedStatements ?? options.sessionUrl === undefined
    this.#main = new MainDatabase(this.#url, Math.max(1, options.maxConnections ?? 10), options.sessionUrl)
    this.#table = new TenantsTable(this.#main.pool)
    this.#placements = new TenantPlacements({
      main: this.#main,
      table: this.#table,
      isolation,
      defaultModel: this.#defaultModel,
    })
  }

  /** How new tenants are placed: a model, or `hybrid`. */
  get isolation(): IsolationModel | 'hybrid' {
    return this.#isolation
  }

  /** Migrates the main database now (it is also done on first use). */
  async migrate(): Promise<void> {
    await this.#main.ready()
  }

  /**
   * The change store `name` (`<tenant>/<db>`), created on first use, with the tenant's schema or
   * database if it is new. While it is open, every call returns the same instance. `epoch` is the
   * epoch a new store gets (default: random), for a store moved here from another backend.
   */
  async openChangeStore(name: string, options: { epoch?: string } = {}): Promise<PostgresChangeStore> {
    this.#checkOpen()
    const tenant = tenantOfStore(name)
    if (tenant === undefined)
      throw new WeftError(
        ErrorCodes.INVALID_ARGUMENT,
        `change store names are <tenant>/<db>, not ${JSON.stringify(name)}`,
      )
    return this.#open.changeStore(name, () =>
      this.#placements.get(tenant).then(({ scope }) =>
        PostgresChangeStore.open(scope, name, {
          ...this.#storeOptions(name),
          ...(options.epoch !== undefined ? { epoch: options.epoch } : {}),
        }),
      ),
    )
  }

  /**
   * The record store `name`: a tenant's (`<tenant>/<name>`) or, without a slash, the server's own,
   * which also takes single-use records, counters, locks and request buckets shared by every
   * process on this database (see {@link PostgresServerRecords}).
   */
  async openKeyValueStore(name: string): Promise<KeyValueStore> {
    this.#checkOpen()
    let kv = this.#open.records(name)
    if (kv) return kv
    const tenant = tenantOfStore(name)
    if (tenant === undefined) {
      await this.#main.ready()
      kv = new PostgresServerRecords({
        pool: this.#main.pool,
        locks: () => this.#main.locks(),
        store: name,
        prepared: this.#prepared,
      })
    } else {
      kv = PostgresKeyValueStore.forTenant((await this.#placements.get(tenant)).scope, name)
    }
    this.#checkOpen()
    this.#open.addRecords(name, kv)
    return kv
  }

  /**
   * Records a tenant with the model it is to use, before its first store is opened. Under a single
   * model the model must be that one; under `hybrid` any model. Fails with `WEFT_TENANT_EXISTS`
   * when the tenant is recorded already with another model.
   */
  async createTenant(tenant: string, options: { model?: IsolationModel } = {}): Promise<TenantRecord> {
    this.#checkOpen()
    const model = options.model ?? this.#defaultModel
    if (!isIsolationModel(model))
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `unknown isolation model ${String(model)}`)
    if (this.#isolation !== 'hybrid' && model !== this.#isolation)
      throw new WeftError(
        ErrorCodes.INVALID_ARGUMENT,
        `this factory keeps every tenant in the ${this.#isolation} model`,
      )
    const record = (await this.#placements.get(tenant, model)).record
    if (record.model !== model)
      throw new WeftError(ErrorCodes.TENANT_EXISTS, `tenant ${tenant} is kept in the ${record.model} model already`)
    return record
  }

  /**
   * Runs `fn` in one transaction in a tenant's context (its role, schema and `app.tenant_id`, as
   * every store query runs), with a raw `pg` client: for operators' reports and exports. The
   * tenant is recorded and placed first if it is new. What `fn` runs reaches only this tenant's
   * rows, short of `RESET ROLE` (see docs/multi-tenancy.md).
   */
  async withTenant<T>(tenant: string, fn: (client: PoolClient) => Promise<T>): Promise<T> {
    this.#checkOpen()
    return (await this.#placements.get(tenant)).scope.transaction(`querying tenant ${tenant}`, fn)
  }

  /** The tenants recorded in the tenants table, by id. */
  async listTenants(): Promise<TenantRecord[]> {
    this.#checkOpen()
    await this.#main.ready()
    return this.#table.list()
  }

  /**
   * The names of the tenant's databases that have a change store here, sorted (none for a tenant
   * not recorded): with {@link PostgresStoreFactory.eraseTenant}, what the server's tenant export
   * and deletion need.
   */
  async listDatabases(tenant: string): Promise<string[]> {
    this.#checkOpen()
    await this.#main.ready()
    if (!(await this.#table.get(tenant))) return []
    return this.withTenant(tenant, async (client) => {
      const { rows } = await client.query<{ store: string }>(
        'SELECT store FROM weft_stores WHERE tenant_id = $1 ORDER BY store',
        [tenant],
      )
      // Store names are `<tenant>/<db>`: the database is what follows the tenant.
      const prefix = `${tenant}/`
      return rows.filter((r) => r.store.startsWith(prefix)).map((r) => r.store.slice(prefix.length))
    })
  }

  /**
   * Erases a tenant completely: closes its open stores, then drops its database (`database`),
   * drops its schema and role (`schema`) or deletes its rows from the shared tables (`shared`),
   * and removes it from the tenants table, unless the server's catalogue marks the row `deleting`:
   * that row stays until the server removes it, the last step of its deletion, so a deletion cut
   * short is finished at the next start. Records the server keeps about the tenant in its own
   * record stores are the server's to delete. Resolves to false when the tenant was not recorded.
   */
  async eraseTenant(tenant: string): Promise<boolean> {
    this.#checkOpen()
    await this.#main.ready()
    const record = await this.#table.get(tenant)
    if (!record) return false
    await this.#open.closeTenant(tenant)
    const cached = await this.#placements.known(tenant)
    this.#placements.forget(tenant)
    // A place dropped already (an erasure run again) is not made again only to be dropped.
    const placed =
      cached ?? ((await this.#placements.exists(record)) ? await this.#placements.prepare(record) : undefined)
    if (placed) await this.#placements.drop(placed)
    await this.#table.remove(tenant)
    return true
  }

  /**
   * Closes the tenant's open stores and forgets where it lives: the next open reads its row again.
   * For a server process whose tenant another process moved to another model.
   */
  async closeTenant(tenant: string): Promise<void> {
    this.#checkOpen()
    await this.#open.closeTenant(tenant)
    const placed = await this.#placements.known(tenant)
    this.#placements.forget(tenant)
    await placed?.ownPool?.end()
  }

  /**
   * The server's tenant catalogue, kept in the tenants table: one row per tenant says both where
   * it lives and the catalogue's fields (see {@link PostgresCatalogueStore}).
   */
  catalogueStore(): PostgresCatalogueStore {
    this.#checkOpen()
    return new PostgresCatalogueStore({
      pool: this.#main.pool,
      main: () => this.#main.ready(),
      isolation: this.#isolation,
      defaultModel: this.#defaultModel,
      locationOf,
    })
  }

  /**
   * Moves a tenant to another isolation model (`hybrid` factories only), with its writers stopped:
   * closes its open stores, copies every store and record to the new place (each change store
   * keeps its epoch and arrival order, every entry verified again), switches its row in the
   * tenants table, then removes the old place. Cut short, it can be run again: the copy skips
   * what is there, and the old place is read until the switch. `WEFT_TENANT_NOT_FOUND` for a
   * tenant not recorded.
   */
  async moveTenant(tenant: string, model: IsolationModel): Promise<TenantRecord & { copied: TenantCopy }> {
    this.#checkOpen()
    if (this.#isolation !== 'hybrid')
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'tenants move between models only under hybrid isolation')
    if (!isIsolationModel(model))
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `unknown isolation model ${String(model)}`)
    const { mainDb } = await this.#main.ready()
    const record = await this.#table.get(tenant)
    if (!record) throw new WeftError(ErrorCodes.TENANT_NOT_FOUND, `tenant ${tenant} is not recorded`)
    await this.#open.closeTenant(tenant)
    const old = (await this.#placements.known(tenant)) ?? (await this.#placements.prepare(record))
    this.#placements.forget(tenant)
    if (record.model === model) return { ...record, copied: { changeStores: 0, entries: 0, records: 0 } }
    const target = await this.#placements.prepare({ ...record, model, location: locationOf(mainDb, tenant, model) })
    const copied = await copyTenant(old.scope, target.scope)
    await this.#table.move(tenant, model, target.record.location)
    this.#placements.set(tenant, target)
    await this.#placements.drop(old)
    return { ...target.record, copied }
  }

  /**
   * Signals between the processes sharing this PostgreSQL (`LISTEN/NOTIFY` on the main database),
   * published through this factory's pool and heard on a connection to `sessionUrl`. Close each
   * bus before the factory.
   */
  clusterBus(): PostgresClusterBus {
    this.#checkOpen()
    const bus = new PostgresClusterBus({ url: this.#main.sessionUrl, pool: this.#main.pool })
    this.#buses.add(bus)
    return bus
  }

  /** Closes every store it opened and ends its pools. Idempotent. */
  close(): Promise<void> {
    return (this.#closing ??= this.#closeAll())
  }

  async #closeAll(): Promise<void> {
    for (const bus of this.#buses) await bus.close()
    this.#buses.clear()
    await this.#open.closeAll()
    await this.#placements.endAll()
    await this.#main.end()
  }

  #checkOpen(): void {
    if (this.#closing) throw new WeftError(ErrorCodes.CLOSED, 'store factory is closed')
  }
}
