import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LevelStoreFactory } from '@weft/store-level'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ready, TenantFactory, TEST_KDF } from '@weft/core'

beforeAll(ready)

let folder = ''
beforeAll(async () => void (folder = await mkdtemp(join(tmpdir(), 'weft-query-index-'))))
afterAll(() => rm(folder, { recursive: true, force: true }))

/** Every file under the storage folder, read whole. */
async function everyFile(dir: string): Promise<Buffer[]> {
  const out: Buffer[] = []
  for (const e of await readdir(dir, { withFileTypes: true }))
    out.push(...(e.isDirectory() ? await everyFile(join(dir, e.name)) : [await readFile(join(dir, e.name))]))
  return out
}

async function open(path: string) {
  const storage = new LevelStoreFactory({ path })
  const tenant = await new TenantFactory({ storeFactory: storage, kdf: TEST_KDF }).openTenant('acme', {
    password: 'pw',
  })
  const db = await tenant.openDB('orders', { cacheSize: 10 })
  return { storage, tenant, db }
}

describe('query index states on LevelDB', () => {
  it('load after a restart with no document materialised, and no file holds an indexed value in the clear', async () => {
    const storage = new LevelStoreFactory({ path: folder })
    const tenant = await new TenantFactory({ storeFactory: storage, kdf: TEST_KDF }).createTenant({
      tenantId: 'acme',
      password: 'pw',
    })
    const db = await tenant.openDB('orders', { cacheSize: 10 })
    for (let i = 0; i < 120; i++) await db.createDocument({ data: { customer: `Quillfeather-${i % 7}`, total: i } })
    expect(await db.createIndex('byCustomer', { fields: ['customer'] })).toMatchObject({ opened: 'rebuilt', size: 120 })
    const before = await db.query({ where: { customer: 'Quillfeather-3' }, orderBy: 'total' })
    await tenant.close()
    await storage.close()

    const again = await open(folder)
    expect(again.db.cacheStats()).toMatchObject({ opened: 'current', materialised: 0 })
    expect(await again.db.createIndex('byCustomer', { fields: ['customer'] })).toMatchObject({
      opened: 'current',
      read: 0,
      size: 120,
    })
    expect(again.db.cacheStats().materialised).toBe(0)
    const after = await again.db.query({ where: { customer: 'Quillfeather-3' }, orderBy: 'total' })
    expect(after).toEqual(before)
    expect(after.examined).toBe(after.docs.length)
    await again.tenant.close()
    await again.storage.close()

    const files = await everyFile(folder)
    // The scan sees the records (their keys are plain text); no value holds the indexed text.
    expect(files.some((f) => f.includes('acme/orders/'))).toBe(true)
    for (const f of files) expect(f.includes('Quillfeather')).toBe(false)
  })
})
