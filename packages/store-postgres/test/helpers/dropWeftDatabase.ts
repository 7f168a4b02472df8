import pg from 'pg'
import { Identifiers } from '../../src/index.ts'

/**
 * Drops a Weft main database with everything it made outside itself: the databases of its
 * `database`-model tenants, the roles of its `schema`-model tenants, and its app role. `adminUrl`
 * is a superuser connection to another database of the same server.
 */
export async function dropWeftDatabase(adminUrl: string, name: string): Promise<void> {
  const main = new URL(adminUrl)
  main.pathname = `/${name}`
  const tenants = await query<{ id: string; model: string; location: string }>(
    main.toString(),
    'SELECT id, model, location FROM weft_tenants',
  ).catch(() => [])
  await query(adminUrl, `DROP DATABASE IF EXISTS ${Identifiers.quote(name)} WITH (FORCE)`)
  for (const t of tenants) {
    if (t.model === 'database')
      await query(adminUrl, `DROP DATABASE IF EXISTS ${Identifiers.quote(t.location)} WITH (FORCE)`)
    if (t.model === 'schema')
      await query(adminUrl, `DROP ROLE IF EXISTS ${Identifiers.quote(Identifiers.schemaRole(name, t.id))}`)
  }
  await query(adminUrl, `DROP ROLE IF EXISTS ${Identifiers.quote(Identifiers.appRole(name))}`)
}

async function query<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<R>(sql)).rows
  } finally {
    await client.end()
  }
}
