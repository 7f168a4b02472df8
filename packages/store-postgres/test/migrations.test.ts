import pg from 'pg'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  appliedVersions,
  CONTROL_MIGRATIONS,
  migrate,
  STORE_MIGRATIONS,
  STORE_TABLES,
  type Migration,
} from '../src/index.ts'
import { createTestDatabase, type TestDatabase } from './helpers/pgDatabase.ts'

/** What each version of a list leaves behind, checked from the catalog. */
async function shape(pool: pg.Pool): Promise<Shape> {
  const tables = await pool.query<{ t: string }>(
    `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'weft_migrations' ORDER BY 1`,
  )
  const rls = await pool.query<{ t: string }>(
    `SELECT relname AS t FROM pg_class WHERE relrowsecurity AND relforcerowsecurity AND relnamespace = 'public'::regnamespace ORDER BY 1`,
  )
  const policies = await pool.query<{ t: string }>(
    `SELECT tablename || ':' || policyname AS t FROM pg_policies WHERE schemaname = 'public' ORDER BY 1`,
  )
  const columnsOf = (table: string) =>
    pool.query<{ t: string }>(
      `SELECT column_name AS t FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY 1`,
      [table],
    )
  const functions = await pool.query<{ t: string }>(
    `SELECT proname AS t FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND proname LIKE 'weft\\_%' ORDER BY 1`,
  )
  const columns = await columnsOf('weft_tenants')
  const bucketColumns = await columnsOf('weft_server_buckets')
  return {
    tables: tables.rows.map((r) => r.t),
    rls: rls.rows.map((r) => r.t),
    policies: policies.rows.map((r) => r.t),
    tenantColumns: columns.rows.map((r) => r.t),
    bucketColumns: bucketColumns.rows.map((r) => r.t),
    functions: functions.rows.map((r) => r.t),
  }
}

interface Shape {
  tables: string[]
  rls: string[]
  policies: string[]
  /** The columns of the tenants table (none where the list does not make it). */
  tenantColumns: string[]
  /** The columns of the request buckets' table (none where the list does not make it). */
  bucketColumns: string[]
  /** Weft's functions. */
  functions: string[]
}

const sorted = (xs: readonly string[]) => [...xs].sort()
const PLACEMENT = ['created_at', 'id', 'location', 'model']
const BUCKET = ['at', 'key', 'store', 'tokens']
const CATALOGUE = ['adopted', 'config', 'flags', 'moving', 'name', 'quotas', 'status', 'updated_at']
const EXPECTED: Record<string, Record<number, Shape>> = {
  store: {
    1: { tables: sorted(STORE_TABLES), rls: [], policies: [], tenantColumns: [], bucketColumns: [], functions: [] },
    2: {
      tables: sorted(STORE_TABLES),
      rls: sorted(STORE_TABLES),
      policies: sorted(STORE_TABLES.map((t) => `${t}:weft_tenant`)),
      tenantColumns: [],
      bucketColumns: [],
      functions: [],
    },
  },
  control: {
    1: {
      tables: ['weft_server_kv', 'weft_tenants'],
      rls: [],
      policies: [],
      tenantColumns: PLACEMENT,
      bucketColumns: [],
      functions: [],
    },
    2: {
      tables: ['weft_server_buckets', 'weft_server_counters', 'weft_server_kv', 'weft_tenants'],
      rls: [],
      policies: [],
      tenantColumns: PLACEMENT,
      bucketColumns: BUCKET,
      functions: [],
    },
    3: {
      tables: ['weft_server_buckets', 'weft_server_counters', 'weft_server_kv', 'weft_tenants'],
      rls: [],
      policies: [],
      tenantColumns: sorted([...PLACEMENT, ...CATALOGUE]),
      bucketColumns: BUCKET,
      functions: [],
    },
    4: {
      tables: ['weft_server_buckets', 'weft_server_counters', 'weft_server_kv', 'weft_tenants'],
      rls: [],
      policies: [],
      tenantColumns: sorted([...PLACEMENT, ...CATALOGUE]),
      bucketColumns: sorted([...BUCKET, 'taken']),
      functions: [],
    },
    5: {
      tables: ['weft_server_buckets', 'weft_server_counters', 'weft_server_kv', 'weft_tenants'],
      rls: [],
      policies: [],
      tenantColumns: sorted([...PLACEMENT, ...CATALOGUE]),
      bucketColumns: sorted([...BUCKET, 'taken']),
      functions: ['weft_take_tokens'],
    },
  },
}
const LISTS: [string, readonly Migration[]][] = [
  ['store', STORE_MIGRATIONS],
  ['control', CONTROL_MIGRATIONS],
]

describe.each(LISTS)('migrations: %s', (list, migrations) => {
  let db: TestDatabase
  let pool: pg.Pool
  beforeEach(async () => {
    db = await createTestDatabase('mig')
    pool = new pg.Pool({ connectionString: db.url, max: 2 })
  })
  afterEach(async () => {
    await pool.end()
    await db.drop()
  })

  it('versions are 1, 2, … in order, and every step is listed as expected', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1))
    expect(Object.keys(EXPECTED[list]!).map(Number)).toEqual(migrations.map((m) => m.version))
  })

  for (const m of migrations) {
    it(`version ${m.version} (${m.name}) from an empty database`, async () => {
      expect(await migrate(pool, { list, migrations, schema: 'public', to: m.version })).toEqual(
        migrations.filter((x) => x.version <= m.version).map((x) => x.version),
      )
      expect(await shape(pool)).toEqual(EXPECTED[list]![m.version])
      // Again: nothing left to do, nothing changes.
      expect(await migrate(pool, { list, migrations, schema: 'public', to: m.version })).toEqual([])
      expect(await shape(pool)).toEqual(EXPECTED[list]![m.version])
    })

    it(`version ${m.version} from version ${m.version - 1}, keeping the rows there`, async () => {
      await migrate(pool, { list, migrations, schema: 'public', to: m.version - 1 })
      if (list === 'store' && m.version > 1)
        await pool.query(`INSERT INTO weft_kv (tenant_id, store, key, value) VALUES ('t', 't/s', 'k', '\\x01')`)
      expect(await migrate(pool, { list, migrations, schema: 'public', to: m.version })).toEqual([m.version])
      expect(await shape(pool)).toEqual(EXPECTED[list]![m.version])
      if (list === 'store' && m.version > 1)
        expect((await pool.query('SELECT key FROM weft_kv')).rows).toEqual([{ key: 'k' }]) // the owner here is a superuser
    })

    if (list === 'control' && m.version === 3)
      it('version 3 reads a tenant placed before it as an adopted, active tenant named by its id', async () => {
        await migrate(pool, { list, migrations, schema: 'public', to: 2 })
        await pool.query(`INSERT INTO weft_tenants (id, model, location) VALUES ('acme', 'schema', 'weft_t_acme')`)
        await migrate(pool, { list, migrations, schema: 'public', to: 3 })
        const { rows } = await pool.query(
          `SELECT id, model, coalesce(name, id) AS name, status, adopted, updated_at, quotas, config, flags, moving FROM weft_tenants`,
        )
        expect(rows).toEqual([
          {
            id: 'acme',
            model: 'schema',
            name: 'acme',
            status: 'active',
            adopted: true,
            updated_at: null,
            quotas: {},
            config: {},
            flags: {},
            moving: null,
          },
        ])
        await expect(pool.query(`UPDATE weft_tenants SET status = 'gone'`)).rejects.toMatchObject({ code: '23514' })
      })

    it(`version ${m.version}'s SQL is idempotent on its own`, async () => {
      await migrate(pool, { list, migrations, schema: 'public', to: m.version })
      await pool.query(m.sql)
      expect(await shape(pool)).toEqual(EXPECTED[list]![m.version])
    })
  }
})

describe('migrations are recorded', () => {
  let db: TestDatabase
  beforeAll(async () => void (db = await createTestDatabase('migrec')))
  afterAll(() => db.drop())

  it('in weft_migrations, by list and version, with their names', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 1 })
    try {
      await migrate(pool, { list: 'store', migrations: STORE_MIGRATIONS, schema: 'public' })
      const { rows } = await pool.query('SELECT list, version, name FROM weft_migrations ORDER BY version')
      expect(rows).toEqual(STORE_MIGRATIONS.map((m) => ({ list: 'store', version: m.version, name: m.name })))
    } finally {
      await pool.end()
    }
  })
})

describe('appliedVersions', () => {
  let db: TestDatabase
  beforeAll(async () => void (db = await createTestDatabase('migapplied')))
  afterAll(() => db.drop())

  it('is empty where nothing was migrated, and lists the versions where it was', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 1 })
    try {
      expect(await appliedVersions(pool, 'public', 'store')).toEqual([])
      expect(await appliedVersions(pool, 'no_such_schema', 'store')).toEqual([])
      await migrate(pool, { list: 'store', migrations: STORE_MIGRATIONS, schema: 'public', to: 1 })
      expect(await appliedVersions(pool, 'public', 'store')).toEqual([1])
    } finally {
      await pool.end()
    }
  })
})
