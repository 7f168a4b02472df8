import { createHash } from 'node:crypto'
import { escapeIdentifier } from 'pg'

const digest = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 24)

/**
 * PostgreSQL names derived from tenant ids. A tenant id may hold any character and be long; the
 * names are fixed-length hashes of it, so they are valid unquoted identifiers, never collide in
 * practice (96 bits), and say nothing about the tenant to someone listing databases. Names that
 * are global to the cluster (databases, roles) also hash the main database's name, so two Weft
 * installations in one cluster keep apart.
 */
export const Identifiers = {
  /** The schema of a tenant in the `schema` model. */
  schema: (tenant: string): string => `wt_s_${digest('schema', tenant)}`,
  /** The role a tenant of the `schema` model acts through. */
  schemaRole: (mainDb: string, tenant: string): string => `wt_r_${digest('role', mainDb, tenant)}`,
  /** The database of a tenant in the `database` model. */
  database: (mainDb: string, tenant: string): string => `wt_d_${digest('database', mainDb, tenant)}`,
  /** The role shared-table queries run as: not the tables' owner, without BYPASSRLS. */
  appRole: (mainDb: string): string => `wt_app_${digest('app', mainDb)}`,
  /** Double-quotes an identifier for SQL text. */
  quote: (name: string): string => escapeIdentifier(name),
} as const
