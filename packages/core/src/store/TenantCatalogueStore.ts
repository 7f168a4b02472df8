/** Where a server's tenant is in its life (see the server's tenant lifecycle). */
export type CatalogueStatus = 'active' | 'suspended' | 'deleting'

/**
 * One tenant of a server's catalogue, as its storage keeps it. `quotas`, `config` and `flags` are
 * JSON objects the server writes and checks again when it reads them (`null` quota: no limit); a
 * storage keeps them as given. Times are ms since the epoch.
 */
export interface CatalogueRow {
  readonly id: string
  readonly name: string
  /** The isolation model the storage keeps the tenant's data under. */
  readonly isolation: string
  readonly status: CatalogueStatus
  readonly createdAt: number
  readonly updatedAt: number
  readonly quotas: Readonly<Record<string, number | null>>
  readonly config: Readonly<Record<string, unknown>>
  readonly flags: Readonly<Record<string, boolean>>
  /** Found in use (placed by its first request), not created by an operator. */
  readonly adopted: boolean
  /** Set while the tenant is held for a move to this isolation model. */
  readonly moving?: string
}

/**
 * The port a server's tenant catalogue is kept through: one row per tenant. A storage that places
 * tenants itself (PostgreSQL) keeps these rows in its own tenants table, so the catalogue and the
 * placement are one row; any other storage keeps them as records of the server's key-value store.
 * Every read is bounded: pages by id, and the tenants being deleted or moved found without
 * reading the others.
 */
export interface TenantCatalogueStore {
  /** The row of `id`, or undefined. */
  get(id: string): Promise<CatalogueRow | undefined>
  /**
   * Writes the row of `row.id`, adding it when missing. A storage that places tenants refuses a
   * new row whose isolation it cannot keep (`WEFT_INVALID_ARGUMENT`), and keeps the model of a
   * row it placed already. `keepNewer`: write only over a row not changed after `row.updatedAt`
   * (moving records from an older layout over rows written since).
   */
  put(row: CatalogueRow, options?: { readonly keepNewer?: boolean }): Promise<void>
  /** Removes the row of `id` (nothing when there is none). */
  delete(id: string): Promise<void>
  /** Up to `limit` rows with ids sorting after `after` (when given), in id order. */
  page(after: string | undefined, limit: number): Promise<CatalogueRow[]>
  /** Up to `limit` ids of tenants being deleted, or held for a move, in id order. */
  pending(limit: number): Promise<string[]>
}
