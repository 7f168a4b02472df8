import {
  ErrorCodes,
  WeftError,
  type CatalogueRow,
  type CatalogueStatus,
  type TenantCatalogueStore,
} from '@weft/core/backend'
import type { Pool } from 'pg'
import { storageCall } from './pgError.ts'
import { isIsolationModel, type IsolationModel } from './types.ts'

/** What the catalogue needs from its factory: the main pool, and how new tenants are placed. */
export interface CatalogueContext {
  readonly pool: Pool
  /** Migrates the main database once; resolves to its name. */
  readonly main: () => Promise<{ mainDb: string }>
  readonly isolation: IsolationModel | 'hybrid'
  readonly defaultModel: IsolationModel
  readonly locationOf: (mainDb: string, tenant: string, model: IsolationModel) => string
}

interface Row {
  id: string
  model: string
  name: string
  status: CatalogueStatus
  created_ms: string
  updated_ms: string
  quotas: Record<string, number | null>
  config: Record<string, unknown>
  flags: Record<string, boolean>
  adopted: boolean
  moving: string | null
}

const COLUMNS = `id, model, coalesce(name, id) AS name, status,
  round(extract(epoch FROM created_at) * 1000)::bigint AS created_ms,
  round(extract(epoch FROM coalesce(updated_at, created_at)) * 1000)::bigint AS updated_ms,
  quotas, config, flags, adopted, moving`

/** Rows of generations (`<tenant>/g<n>`, placed for a reset) are placements only: no tenant of the catalogue. */
const TENANTS_ONLY = `strpos(id, '/') = 0`

/**
 * The server's tenant catalogue in the tenants table (`weft_tenants`): the row that says where a
 * tenant lives also holds its name, status, times, quotas, configuration and flags, so the two can
 * never disagree. A tenant placed by its first store open gets the catalogue's defaults in the same
 * row (`adopted`, active, named by its id); a row the catalogue writes first is placed under its
 * isolation model. The model of a row is the storage's: writing the catalogue's fields never
 * changes it (a move does). Pages are keyset reads by id; the tenants being deleted or moved come
 * from a partial index.
 */
export class PostgresCatalogueStore implements TenantCatalogueStore {
  readonly #c: CatalogueContext

  constructor(context: CatalogueContext) {
    this.#c = context
  }

  async get(id: string): Promise<CatalogueRow | undefined> {
    if (id.includes('/')) return undefined
    const rows = await this.#query<Row>(`reading tenant ${id}`, `SELECT ${COLUMNS} FROM weft_tenants WHERE id = $1`, [
      id,
    ])
    return rows[0] && rowOf(rows[0])
  }

  async put(row: CatalogueRow, options: { keepNewer?: boolean } = {}): Promise<void> {
    const { mainDb } = await this.#c.main()
    const model = this.#modelFor(row, options.keepNewer === true)
    await this.#query(
      `writing tenant ${row.id}`,
      `INSERT INTO weft_tenants AS t
         (id, model, location, name, status, created_at, updated_at, quotas, config, flags, adopted, moving)
       VALUES ($1, $2, $3, $4, $5, to_timestamp($6::float8 / 1000), to_timestamp($7::float8 / 1000),
         $8::jsonb, $9::jsonb, $10::jsonb, $11, $12)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, status = EXCLUDED.status,
         created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, quotas = EXCLUDED.quotas,
         config = EXCLUDED.config, flags = EXCLUDED.flags, adopted = EXCLUDED.adopted, moving = EXCLUDED.moving
       WHERE NOT $13::boolean OR t.updated_at IS NULL OR t.updated_at <= EXCLUDED.updated_at`,
      [
        row.id,
        model,
        this.#c.locationOf(mainDb, row.id, model),
        row.name,
        row.status,
        row.createdAt,
        row.updatedAt,
        JSON.stringify(row.quotas),
        JSON.stringify(row.config),
        JSON.stringify(row.flags),
        row.adopted,
        row.moving ?? null,
        options.keepNewer === true,
      ],
    )
  }

  async delete(id: string): Promise<void> {
    await this.#query(`removing tenant ${id}`, 'DELETE FROM weft_tenants WHERE id = $1', [id])
  }

  async page(after: string | undefined, limit: number): Promise<CatalogueRow[]> {
    const rows = await this.#query<Row>(
      'listing tenants',
      `SELECT ${COLUMNS} FROM weft_tenants WHERE ($1::text IS NULL OR id > $1) AND ${TENANTS_ONLY} ORDER BY id LIMIT $2`,
      [after ?? null, Math.max(1, Math.floor(limit))],
    )
    return rows.map(rowOf)
  }

  async pending(limit: number): Promise<string[]> {
    const rows = await this.#query<{ id: string }>(
      'listing tenants being deleted or moved',
      `SELECT id FROM weft_tenants WHERE (status = 'deleting' OR moving IS NOT NULL) AND ${TENANTS_ONLY}
         ORDER BY id LIMIT $1`,
      [Math.max(1, Math.floor(limit))],
    )
    return rows.map((r) => r.id)
  }

  /**
   * The model a new row is placed under. An adopted tenant (found in use, never given a model by an
   * operator) gets the storage's default model, as a tenant first placed by its stores does. Otherwise
   * the row's, when this storage keeps that model; a record moved from an older layout in a model it
   * cannot keep gets the default model; an operator's new tenant in such a model is refused.
   */
  #modelFor(row: CatalogueRow, imported: boolean): IsolationModel {
    if (row.adopted) return this.#c.defaultModel
    const keeps = (m: string): m is IsolationModel =>
      isIsolationModel(m) && (this.#c.isolation === 'hybrid' || this.#c.isolation === m)
    if (keeps(row.isolation)) return row.isolation
    if (imported) return this.#c.defaultModel
    throw new WeftError(
      ErrorCodes.INVALID_ARGUMENT,
      this.#c.isolation === 'hybrid' || !isIsolationModel(row.isolation)
        ? `unknown isolation model ${row.isolation}`
        : `this factory keeps every tenant in the ${this.#c.isolation} model`,
    )
  }

  async #query<R extends object>(what: string, sql: string, params: unknown[]): Promise<R[]> {
    await this.#c.main()
    return storageCall(what, async () => (await this.#c.pool.query(sql, params)).rows as R[])
  }
}

function rowOf(r: Row): CatalogueRow {
  return {
    id: r.id,
    name: r.name,
    isolation: r.model,
    status: r.status,
    createdAt: Number(r.created_ms),
    updatedAt: Number(r.updated_ms),
    quotas: r.quotas,
    config: r.config,
    flags: r.flags,
    adopted: r.adopted,
    ...(r.moving !== null ? { moving: r.moving } : {}),
  }
}
