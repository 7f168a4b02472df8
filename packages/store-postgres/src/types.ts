/**
 * How one tenant's rows are kept apart from the others':
 *
 * - `database`: a PostgreSQL database of its own, created on first use.
 * - `schema`: a schema of its own in the main database, reached through a role of its own that may
 *   use no other tenant's schema.
 * - `shared`: the main database's shared tables, every row marked with its `tenant_id`, read and
 *   written through a role that row-level security confines to the tenant set in the transaction.
 */
export type IsolationModel = 'database' | 'schema' | 'shared'

/** The isolation models, in a list (for checks and parsing). */
export const ISOLATION_MODELS: readonly IsolationModel[] = ['database', 'schema', 'shared']

/** True when `value` names an isolation model. */
export function isIsolationModel(value: unknown): value is IsolationModel {
  return typeof value === 'string' && (ISOLATION_MODELS as readonly string[]).includes(value)
}

/** One tenant as the tenants table records it. */
export interface TenantRecord {
  readonly id: string
  readonly model: IsolationModel
  /** The database (`database` model) or schema (`schema` model) holding its rows; `public` for `shared`. */
  readonly location: string
  readonly createdAt: Date
}
