import type { Cursor } from '@weft/core/backend'
import { PostgresChangeStore } from './PostgresChangeStore.ts'
import type { TenantScope } from './TenantScope.ts'

const PAGE = 1_000

/** What {@link copyTenant} copied. */
export interface TenantCopy {
  readonly changeStores: number
  readonly entries: number
  readonly records: number
}

/**
 * Copies every change store and record of one tenant from one place to another (two isolation
 * models' places of the same tenant). Each change store keeps its epoch and arrival order, every
 * entry verified again as it is appended; records are copied as they are. Copying again copies
 * only what is missing, so a move cut short can be run again.
 */
export async function copyTenant(from: TenantScope, to: TenantScope): Promise<TenantCopy> {
  const stores = await from.transaction(
    'listing stores',
    async (c) =>
      (
        await c.query<{ store: string; epoch: string }>(
          'SELECT store, epoch FROM weft_stores WHERE tenant_id = $1 ORDER BY store',
          [from.tenant],
        )
      ).rows,
    { readOnly: true },
  )
  let entries = 0
  for (const { store: name, epoch } of stores) {
    const source = await PostgresChangeStore.open(from, name)
    const target = await PostgresChangeStore.open(to, name, { epoch })
    try {
      for (let cursor: Cursor | null = null; ;) {
        const page = await source.scan(cursor, { limit: PAGE })
        if (page.entries.length) {
          const r = await target.appendMany(await source.getChanges(page.entries.map((e) => e.hash)))
          if (r.rejected.length) throw r.rejected[0]!.error
          entries += r.added.length
        }
        cursor = page.cursor
        if (page.done) break
      }
    } finally {
      await source.close()
      await target.close()
    }
  }
  const rows = await from.transaction(
    'reading records',
    async (c) =>
      (
        await c.query<{ store: string; key: string; value: Buffer }>(
          'SELECT store, key, value FROM weft_kv WHERE tenant_id = $1',
          [from.tenant],
        )
      ).rows,
    { readOnly: true },
  )
  if (rows.length)
    await to.transaction('writing records', (c) =>
      c.query(
        `INSERT INTO weft_kv (tenant_id, store, key, value)
         SELECT $1, s, k, v FROM unnest($2::text[], $3::text[], $4::bytea[]) AS u(s, k, v)
         ON CONFLICT (tenant_id, store, key) DO UPDATE SET value = EXCLUDED.value`,
        [to.tenant, rows.map((r) => r.store), rows.map((r) => r.key), rows.map((r) => r.value)],
      ),
    )
  return { changeStores: stores.length, entries, records: rows.length }
}
