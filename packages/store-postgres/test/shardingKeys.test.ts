// What docs/scale-out.md says of the shared-table model's keys, checked on the migrated catalog:
// every store table can be distributed (and co-located) by `tenant_id`, because every primary key,
// unique constraint and index of it begins with `tenant_id`; the two control tables cannot (they
// have no `tenant_id`), and stay with the directory.
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PostgresStoreFactory, STORE_TABLES } from '../src/index.ts'
import { createTestDatabase, type TestDatabase } from './helpers/pgDatabase.ts'

describe('shared tables: keys for sharding by tenant_id', () => {
  let db: TestDatabase
  let pool: pg.Pool

  beforeAll(async () => {
    db = await createTestDatabase('shardkeys')
    const factory = new PostgresStoreFactory({ url: db.url, isolation: 'shared' })
    await factory.openChangeStore('acme/orders')
    await factory.openKeyValueStore('acme/records')
    await factory.close()
    pool = new pg.Pool({ connectionString: db.url, max: 1 })
  })
  afterAll(async () => {
    await pool?.end()
    await db?.drop()
  })

  /** Each index of `table` (primary key and unique constraints included): name, uniqueness, columns in order. */
  async function indexes(table: string): Promise<{ name: string; unique: boolean; columns: string[] }[]> {
    const { rows } = await pool.query<{ name: string; unique: boolean; columns: string[] }>(
      `SELECT i.relname AS name, x.indisunique AS unique,
              array(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(n, o)
                    JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n ORDER BY k.o)::text[] AS columns
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = $1::regclass ORDER BY 1`,
      [`public.${table}`],
    )
    return rows
  }

  it('every primary key, unique constraint and index of every store table begins with tenant_id', async () => {
    const seen: string[] = []
    for (const table of STORE_TABLES) {
      const idx = await indexes(table)
      expect(idx.some((i) => i.unique)).toBe(true)
      for (const i of idx) {
        expect(i.columns[0], `${table}.${i.name}`).toBe('tenant_id')
        seen.push(`${table}: ${i.unique ? 'unique ' : ''}(${i.columns.join(', ')})`)
      }
    }
    // The list docs/scale-out.md prints; a new key must be added there too.
    expect(seen.sort()).toEqual(
      [
        'weft_entries: unique (tenant_id, store, hash)',
        'weft_entries: unique (tenant_id, store, seq)',
        'weft_entries: (tenant_id, store, doc_id, seq)',
        'weft_stores: unique (tenant_id, store)',
        'weft_sums: unique (tenant_id, store, prefix)',
        'weft_kv: unique (tenant_id, store, key)',
      ].sort(),
    )
  })

  it('the store tables have no foreign keys, and the control tables have no tenant_id column', async () => {
    const fks = await pool.query(
      `SELECT conname FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace`,
    )
    expect(fks.rows).toEqual([])
    const { rows } = await pool.query<{ table: string }>(
      `SELECT DISTINCT table_name AS table FROM information_schema.columns
        WHERE table_schema = 'public' AND column_name = 'tenant_id' ORDER BY 1`,
    )
    expect(rows.map((r) => r.table)).toEqual([...STORE_TABLES].sort())
  })

  it('row-level security reads the tenant from the app.tenant_id setting', async () => {
    const { rows } = await pool.query<{ table: string; qual: string }>(
      `SELECT tablename AS table, qual FROM pg_policies WHERE schemaname = 'public' ORDER BY 1`,
    )
    expect(rows.map((r) => r.table)).toEqual([...STORE_TABLES].sort())
    for (const r of rows) expect(r.qual).toContain("current_setting('app.tenant_id'::text, true)")
  })
})
