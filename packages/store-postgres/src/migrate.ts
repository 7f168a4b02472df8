import type { Pool, PoolClient } from 'pg'
import { Identifiers } from './identifiers.ts'
import type { Migration } from './migrations.ts'
import { sqlState, storageCall } from './pgError.ts'

/** What {@link migrate} brings up to date, and how far. */
export interface MigrateTarget {
  /** Which list (`store` or `control`): one schema may hold both, each with its own versions. */
  readonly list: string
  readonly migrations: readonly Migration[]
  /** The schema to run them in, created when missing. */
  readonly schema: string
  /** Stop after this version (tests step through versions); default: the newest. */
  readonly to?: number
  /** Runs in the same transaction after the migrations, still under the lock (grants, roles). */
  readonly after?: (client: PoolClient) => Promise<void>
}

/**
 * Applies the missing migrations of `target.list` in `target.schema`, in order, each recorded in
 * that schema's `weft_migrations` table. Everything runs in one transaction under a
 * transaction-scoped advisory lock keyed by the schema, so processes starting together run them
 * one after the other (the second finds them applied); a failure leaves nothing half-applied
 * (PostgreSQL's DDL is transactional). Returns the versions it applied.
 */
export async function migrate(pool: Pool, target: MigrateTarget): Promise<number[]> {
  const to = target.to ?? Math.max(0, ...target.migrations.map((m) => m.version))
  return storageCall(`migrating ${target.list} tables in ${target.schema}`, async () => {
    const client = await pool.connect()
    let broken: Error | undefined
    try {
      await client.query('BEGIN')
      try {
        await client.query(`SELECT pg_advisory_xact_lock(hashtext('weft-migrations'), hashtext($1))`, [target.schema])
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${Identifiers.quote(target.schema)}`)
        await client.query(`SELECT set_config('search_path', $1, true)`, [Identifiers.quote(target.schema)])
        await client.query(`CREATE TABLE IF NOT EXISTS weft_migrations (
          list text COLLATE "C" NOT NULL,
          version integer NOT NULL,
          name text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (list, version))`)
        const { rows } = await client.query<{ version: number }>(
          'SELECT version FROM weft_migrations WHERE list = $1',
          [target.list],
        )
        const done = new Set(rows.map((r) => r.version))
        const applied: number[] = []
        for (const m of [...target.migrations].sort((a, b) => a.version - b.version)) {
          if (m.version > to || done.has(m.version)) continue
          await client.query(m.sql)
          await client.query('INSERT INTO weft_migrations (list, version, name) VALUES ($1, $2, $3)', [
            target.list,
            m.version,
            m.name,
          ])
          applied.push(m.version)
        }
        await target.after?.(client)
        await client.query('COMMIT')
        return applied
      } catch (err) {
        await client.query('ROLLBACK').catch((e: Error) => (broken = e))
        throw err
      }
    } finally {
      client.release(broken)
    }
  })
}

/** The versions of `list` recorded in `schema` (empty when it has no migrations table, or no such schema). */
export async function appliedVersions(pool: Pool, schema: string, list: string): Promise<number[]> {
  return storageCall(`reading migrations of ${schema}`, async () => {
    try {
      const { rows } = await pool.query<{ version: number }>(
        `SELECT version FROM ${Identifiers.quote(schema)}.weft_migrations WHERE list = $1 ORDER BY version`,
        [list],
      )
      return rows.map((r) => r.version)
    } catch (err) {
      // undefined_table, invalid_schema_name: nothing migrated there yet.
      if (sqlState(err) === '42P01' || sqlState(err) === '3F000') return []
      throw err
    }
  })
}
