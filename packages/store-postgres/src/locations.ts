import { escapeLiteral, type Pool, type PoolClient } from 'pg'
import { Identifiers } from './identifiers.ts'
import { CONTROL_MIGRATIONS, STORE_MIGRATIONS, STORE_TABLES } from './migrations.ts'
import { migrate } from './migrate.ts'
import { storageCall } from './pgError.ts'
import { createPool } from './pool.ts'
import type { IsolationModel } from './types.ts'

const q = Identifiers.quote

/** Where a tenant of `model` keeps its rows: its database, its schema, or `public` (shared). */
export function locationOf(mainDb: string, tenant: string, model: IsolationModel): string {
  return model === 'database'
    ? Identifiers.database(mainDb, tenant)
    : model === 'schema'
      ? Identifiers.schema(tenant)
      : 'public'
}

/** Creates `role` (no login, no BYPASSRLS) unless it exists, and lets the connecting user act as it. */
async function ensureRole(client: PoolClient, role: string): Promise<void> {
  await client.query(`DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${escapeLiteral(role)}) THEN
      CREATE ROLE ${q(role)} NOLOGIN NOINHERIT NOBYPASSRLS;
    END IF;
  END $$`)
  // Needed to SET ROLE to it for a user that is not a superuser (PostgreSQL 16 and later).
  await client.query(`GRANT ${q(role)} TO CURRENT_USER`)
}

/** Lets `role` use the store tables of `schema`, and nothing else there. */
async function grantStoreTables(client: PoolClient, schema: string, role: string): Promise<void> {
  await client.query(`GRANT USAGE ON SCHEMA ${q(schema)} TO ${q(role)}`)
  await client.query(
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ${STORE_TABLES.map((t) => `${q(schema)}.${t}`).join(', ')} TO ${q(role)}`,
  )
}

/**
 * Brings the main database up to date: the control tables (tenants, server records) and the
 * shared store tables in `public`, with the role shared-table queries run as. `to` stops the store
 * migrations at a version (for tests stepping through versions).
 */
export async function prepareMainDatabase(pool: Pool, appRole: string, options: { to?: number } = {}): Promise<void> {
  await migrate(pool, { list: 'control', migrations: CONTROL_MIGRATIONS, schema: 'public' })
  await migrate(pool, {
    list: 'store',
    migrations: STORE_MIGRATIONS,
    schema: 'public',
    ...(options.to !== undefined ? { to: options.to } : {}),
    after: async (c) => {
      await ensureRole(c, appRole)
      await grantStoreTables(c, 'public', appRole)
    },
  })
}

/** Creates a tenant's schema with its store tables and its own role (which may use only it). */
export async function prepareTenantSchema(pool: Pool, schema: string, role: string): Promise<void> {
  await migrate(pool, {
    list: 'store',
    migrations: STORE_MIGRATIONS,
    schema,
    after: async (c) => {
      await ensureRole(c, role)
      await grantStoreTables(c, schema, role)
    },
  })
}

/**
 * Creates a tenant's database unless it exists (two processes may try at once: a session advisory
 * lock in the main database orders them, so `sessionPool` is a pool of the main database whose
 * connections keep their session), then its store tables, usable by `appRole`.
 */
export async function prepareTenantDatabase(
  sessionPool: Pool,
  tenantPool: Pool,
  database: string,
  appRole: string,
): Promise<void> {
  await storageCall(`creating database ${database}`, async () => {
    const client = await sessionPool.connect()
    try {
      await client.query(`SELECT pg_advisory_lock(hashtext('weft-create-database'), hashtext($1))`, [database])
      try {
        const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])
        if (!rowCount) await client.query(`CREATE DATABASE ${q(database)}`)
      } finally {
        await client.query(`SELECT pg_advisory_unlock(hashtext('weft-create-database'), hashtext($1))`, [database])
      }
    } finally {
      client.release()
    }
  })
  await migrate(tenantPool, {
    list: 'store',
    migrations: STORE_MIGRATIONS,
    schema: 'public',
    after: (c) => grantStoreTables(c, 'public', appRole),
  })
}

/** Drops a tenant's database, disconnecting whoever is still in it. */
export async function dropTenantDatabase(mainPool: Pool, database: string): Promise<void> {
  await storageCall(`dropping database ${database}`, () =>
    mainPool.query(`DROP DATABASE IF EXISTS ${q(database)} WITH (FORCE)`),
  )
}

/** Drops a tenant's schema with everything in it, and its role. */
export async function dropTenantSchema(mainPool: Pool, schema: string, role: string): Promise<void> {
  await storageCall(`dropping schema ${schema}`, async () => {
    const client = await mainPool.connect()
    try {
      await client.query('BEGIN')
      await client.query(`DROP SCHEMA IF EXISTS ${q(schema)} CASCADE`)
      await client.query(`DROP ROLE IF EXISTS ${q(role)}`)
      await client.query('COMMIT')
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      client.release()
    }
  })
}

/** A pool on another database of the same server as `url`, as the same user. */
export function poolFor(url: string, database: string, max: number): Pool {
  const u = new URL(url)
  u.pathname = `/${encodeURIComponent(database)}`
  return createPool(u.toString(), max)
}
