import { ErrorCodes, WeftError } from '@weft/core/backend'
import type { Pool } from 'pg'
import { Identifiers } from './identifiers.ts'
import {
  dropTenantDatabase,
  dropTenantSchema,
  locationOf,
  prepareTenantDatabase,
  prepareTenantSchema,
} from './locations.ts'
import type { MainDatabase } from './MainDatabase.ts'
import { storageCall } from './pgError.ts'
import { TenantScope } from './TenantScope.ts'
import type { TenantsTable } from './TenantsTable.ts'
import type { IsolationModel, TenantRecord } from './types.ts'

/** Where one tenant lives, ready to be reached. */
export interface Placement {
  readonly scope: TenantScope
  readonly record: TenantRecord
  /** The tenant's own pool (`database` model), ended on erase and close. */
  readonly ownPool?: Pool
}

/** What {@link TenantPlacements} needs from its factory. */
export interface TenantPlacementsContext {
  readonly main: MainDatabase
  readonly table: TenantsTable
  readonly isolation: IsolationModel | 'hybrid'
  readonly defaultModel: IsolationModel
}

/**
 * Where each tenant lives, as this process knows it: a tenant is recorded in the tenants table
 * (with its model, or the default) and its place made ready once per process, then remembered
 * until it is forgotten (a tenant closed, erased or moved). Also makes and drops the place a
 * tenant's record names: its own database, its own schema and role, or its rows in shared tables.
 */
export class TenantPlacements {
  readonly #c: TenantPlacementsContext
  readonly #tenants = new Map<string, Promise<Placement>>()

  constructor(context: TenantPlacementsContext) {
    this.#c = context
  }

  /** Where a tenant lives, recording it (with `model`, or the default) if it is new; once per process. */
  get(tenant: string, model?: IsolationModel): Promise<Placement> {
    let p = this.#tenants.get(tenant)
    if (!p) {
      const placing = this.#place(tenant, model ?? this.#c.defaultModel)
      placing.catch(() => void (this.#tenants.get(tenant) === placing && this.#tenants.delete(tenant)))
      this.#tenants.set(tenant, (p = placing))
    }
    return p
  }

  /** Where this process knows a tenant lives, if it placed it (a placement that failed counts as none). */
  async known(tenant: string): Promise<Placement | undefined> {
    return this.#tenants.get(tenant)?.catch(() => undefined)
  }

  /** Forgets where a tenant lives: the next {@link get} reads its row again. */
  forget(tenant: string): void {
    this.#tenants.delete(tenant)
  }

  /** Remembers where a tenant lives now (after a move). */
  set(tenant: string, placed: Placement): void {
    this.#tenants.set(tenant, Promise.resolve(placed))
  }

  /** Ends the tenants' own pools and forgets every placement. */
  async endAll(): Promise<void> {
    const placements = await Promise.allSettled(this.#tenants.values())
    for (const p of placements) if (p.status === 'fulfilled') await p.value.ownPool?.end()
    this.#tenants.clear()
  }

  async #place(tenant: string, model: IsolationModel): Promise<Placement> {
    const { mainDb } = await this.#c.main.ready()
    await this.#c.table.insert(tenant, model, locationOf(mainDb, tenant, model))
    const record = (await this.#c.table.get(tenant))!
    if (this.#c.isolation !== 'hybrid' && record.model !== this.#c.isolation)
      throw new WeftError(
        ErrorCodes.STORAGE_ERROR,
        `tenant ${tenant} is kept in the ${record.model} model; this factory uses ${this.#c.isolation} (open it with hybrid)`,
      )
    return this.prepare(record)
  }

  /** Creates (if missing) and migrates the place a record names, and the scope to reach it. */
  async prepare(record: TenantRecord): Promise<Placement> {
    const { main } = this.#c
    const { mainDb, appRole } = await main.ready()
    const tenant = record.id
    if (record.model === 'database') {
      const ownPool = main.poolOn(record.location)
      await prepareTenantDatabase(main.locks(), ownPool, record.location, appRole).catch(async (err: unknown) => {
        await ownPool.end()
        throw err
      })
      return { record, ownPool, scope: new TenantScope(ownPool, tenant, 'public', appRole) }
    }
    if (record.model === 'schema') {
      const role = Identifiers.schemaRole(mainDb, tenant)
      await prepareTenantSchema(main.pool, record.location, role)
      return { record, scope: new TenantScope(main.pool, tenant, record.location, role) }
    }
    return { record, scope: new TenantScope(main.pool, tenant, 'public', appRole) }
  }

  /** Whether the place a record names exists (a database or schema dropped already does not). */
  async exists(record: TenantRecord): Promise<boolean> {
    if (record.model === 'shared') return true
    const sql =
      record.model === 'database'
        ? 'SELECT 1 FROM pg_database WHERE datname = $1'
        : 'SELECT 1 FROM pg_namespace WHERE nspname = $1'
    const { rowCount } = await storageCall(`finding tenant ${record.id}`, () =>
      this.#c.main.pool.query(sql, [record.location]),
    )
    return (rowCount ?? 0) > 0
  }

  /** Removes everything of a tenant at one place: its database, its schema and role, or its shared rows. */
  async drop(placed: Placement): Promise<void> {
    const { main } = this.#c
    const { mainDb } = await main.ready()
    const { record } = placed
    if (record.model === 'database') {
      await placed.ownPool?.end()
      await dropTenantDatabase(main.pool, record.location)
    } else if (record.model === 'schema') {
      await dropTenantSchema(main.pool, record.location, Identifiers.schemaRole(mainDb, record.id))
    } else {
      await placed.scope.transaction(`erasing tenant ${record.id}`, async (c) => {
        for (const table of ['weft_kv', 'weft_sums', 'weft_entries', 'weft_stores'])
          await c.query(`DELETE FROM ${table} WHERE tenant_id = $1`, [record.id])
      })
    }
  }
}
