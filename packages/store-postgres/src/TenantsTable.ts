import type { Pool } from 'pg'
import { storageCall } from './pgError.ts'
import type { IsolationModel, TenantRecord } from './types.ts'

interface Row {
  id: string
  model: IsolationModel
  location: string
  created_at: Date
}

const COLUMNS = 'id, model, location, created_at'

function toRecord(r: Row): TenantRecord {
  return { id: r.id, model: r.model, location: r.location, createdAt: r.created_at }
}

/**
 * Where each tenant lives, as the tenants table (`weft_tenants`, in the main database) records it:
 * its model and location. The catalogue's fields in the same rows are `PostgresCatalogueStore`'s.
 */
export class TenantsTable {
  readonly #pool: Pool

  constructor(pool: Pool) {
    this.#pool = pool
  }

  /** The tenant's row; undefined when it is not recorded. */
  async get(tenant: string): Promise<TenantRecord | undefined> {
    const { rows } = await storageCall(`reading tenant ${tenant}`, () =>
      this.#pool.query<Row>(`SELECT ${COLUMNS} FROM weft_tenants WHERE id = $1`, [tenant]),
    )
    const r = rows[0]
    return r && toRecord(r)
  }

  /** Every row, by id. */
  async list(): Promise<TenantRecord[]> {
    const { rows } = await storageCall('listing tenants', () =>
      this.#pool.query<Row>(`SELECT ${COLUMNS} FROM weft_tenants ORDER BY id`),
    )
    return rows.map(toRecord)
  }

  /** Records a tenant at `location` under `model`, unless it is recorded already (then its row stays as it is). */
  async insert(tenant: string, model: IsolationModel, location: string): Promise<void> {
    await storageCall(`recording tenant ${tenant}`, () =>
      this.#pool.query(
        'INSERT INTO weft_tenants (id, model, location) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING',
        [tenant, model, location],
      ),
    )
  }

  /** Switches a tenant's row to another model and location. */
  async move(tenant: string, model: IsolationModel, location: string): Promise<void> {
    await storageCall(`moving tenant ${tenant}`, () =>
      this.#pool.query('UPDATE weft_tenants SET model = $2, location = $3 WHERE id = $1', [tenant, model, location]),
    )
  }

  /** Removes a tenant's row, unless the catalogue marks it `deleting` (the server removes that one). */
  async remove(tenant: string): Promise<void> {
    await storageCall(`erasing tenant ${tenant}`, () =>
      this.#pool.query(`DELETE FROM weft_tenants WHERE id = $1 AND status <> 'deleting'`, [tenant]),
    )
  }
}
