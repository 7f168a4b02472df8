import { describe, expect, it } from 'vitest'
import {
  ErrorCodes,
  MemoryKeyValueStore,
  packValue,
  type KeyValueStore,
  type RecordPageOptions,
} from '@weft/core/backend'
import { KeyValueCatalogueStore } from '../src/tenancy/KeyValueCatalogueStore.ts'
import { TenantCatalogue } from '../src/tenancy/TenantCatalogue.ts'
import type { TenantRecord } from '../src/tenancy/TenantRecord.ts'

/** A record store that counts the records (keys or values) each read hands back. */
class CountingStore implements KeyValueStore {
  readonly inner = new MemoryKeyValueStore()
  read = 0
  get = async (key: string) => {
    const v = await this.inner.get(key)
    if (v) this.read++
    return v
  }
  put = (key: string, value: Uint8Array) => this.inner.put(key, value)
  delete = (key: string) => this.inner.delete(key)
  keys = async (prefix?: string) => {
    const keys = await this.inner.keys(prefix)
    this.read += keys.length
    return keys
  }
  entries = async (prefix: string, page: RecordPageOptions) => {
    const rows = await this.inner.entries(prefix, page)
    this.read += rows.length
    return rows
  }
  close = () => this.inner.close()
}

/** A record as the server wrote it before the catalogue store (quotas with `Infinity`, no `adopted`). */
function oldRecord(id: string, status: TenantRecord['status'] = 'active'): Uint8Array {
  const at = 1_700_000_000_000
  return packValue({
    v: 1,
    id,
    name: `Tenant ${id}`,
    isolation: 'shared',
    status,
    createdAt: at,
    updatedAt: at,
    quotas: { maxBytesPerTenant: Infinity, maxEntriesPerTenant: 10 },
    config: {},
    flags: { mailbox: false },
  })
}

describe('the catalogue in the server record store', () => {
  it('a page of 50 among 2,000 tenants reads about 50 records, and finding the deleting ones reads only them', async () => {
    const kv = new CountingStore()
    const ids = Array.from({ length: 2_000 }, (_, i) => `t${String(i).padStart(4, '0')}`)
    for (const id of ids) await kv.put(`catalogue/${id}`, oldRecord(id, id.endsWith('7') ? 'deleting' : 'active'))
    const store = await KeyValueCatalogueStore.open(kv) // marks the deleting ones once
    const catalogue = new TenantCatalogue(store, { isolation: 'shared' })

    kv.read = 0
    const page = await catalogue.list('t1000', 50)
    expect(page.tenants.map((t) => t.id)).toEqual(ids.slice(1001, 1051))
    expect(page.next).toBe('t1050')
    expect(kv.read).toBeLessThanOrEqual(51)

    kv.read = 0
    const deleting = await catalogue.deleting()
    expect(deleting).toEqual(ids.filter((id) => id.endsWith('7')))
    expect(kv.read).toBeLessThanOrEqual(2 * deleting.length)
  })

  it('reads the records an older server wrote: Infinity quotas, no adopted; and marks are kept as statuses change', async () => {
    const kv = new MemoryKeyValueStore()
    await kv.put('catalogue/a', oldRecord('a'))
    await kv.put('catalogue/b', oldRecord('b', 'deleting'))
    const catalogue = new TenantCatalogue(await KeyValueCatalogueStore.open(kv), { isolation: 'shared' })
    expect(await catalogue.get('a')).toEqual({
      id: 'a',
      name: 'Tenant a',
      isolation: 'shared',
      status: 'active',
      createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_000_000,
      quotas: { maxBytesPerTenant: Infinity, maxEntriesPerTenant: 10 },
      config: {},
      flags: { mailbox: false },
    })
    expect(await catalogue.deleting()).toEqual(['b'])
    await catalogue.transition('a', 'delete')
    await expect(catalogue.hold('a', 'schema')).rejects.toMatchObject({ code: ErrorCodes.TENANT_STATE })
    await catalogue.remove('b')
    expect(await catalogue.deleting()).toEqual(['a'])
    await catalogue.create({ id: 'c' })
    await catalogue.hold('c', 'schema')
    await expect(catalogue.hold('c', 'database')).rejects.toMatchObject({ code: ErrorCodes.TENANT_MOVING })
    expect(await catalogue.moving()).toEqual(['c'])
    expect((await catalogue.release('c')).moving).toBeUndefined()
    expect(await catalogue.moving()).toEqual([])
    expect(await kv.keys('catalogue-pending/')).toEqual(['catalogue-pending/a'])
  })
})
