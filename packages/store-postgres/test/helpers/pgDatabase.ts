import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { inject } from 'vitest'
import { Identifiers } from '../../src/index.ts'
import { dropWeftDatabase } from './dropWeftDatabase.ts'

/** The test PostgreSQL's superuser URL (from the global setup), on database `db`. */
export function urlOf(db = 'postgres'): string {
  const u = new URL(inject('pgUrl'))
  u.pathname = `/${db}`
  return u.toString()
}

/** Runs one statement as the superuser on the `postgres` database. */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  sql: string,
  params: unknown[] = [],
  db = 'postgres',
): Promise<pg.QueryResult<R>> {
  const client = new pg.Client({ connectionString: urlOf(db) })
  await client.connect()
  try {
    return await client.query<R>(sql, params)
  } finally {
    await client.end()
  }
}

/** A fresh database with a unique name for one test, and how to drop it with every tenant database and role it made. */
export interface TestDatabase {
  readonly name: string
  readonly url: string
  drop(): Promise<void>
}

export async function createTestDatabase(label = 'weft'): Promise<TestDatabase> {
  const name = `${label}_${randomBytes(6).toString('hex')}`
  await adminQuery(`CREATE DATABASE ${Identifiers.quote(name)}`)
  return { name, url: urlOf(name), drop: () => dropTestDatabase(name) }
}

/** Drops a Weft main database, the tenant databases and roles it recorded, and its app role. */
export function dropTestDatabase(name: string): Promise<void> {
  return dropWeftDatabase(urlOf(), name)
}
