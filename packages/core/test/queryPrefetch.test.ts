import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  MemoryStoreFactory,
  ready,
  TenantFactory,
  TEST_KDF,
  type Database,
  type DatabaseOptions,
} from '../src/index.ts'

beforeAll(ready)

const PASSWORD = 'pw'

/** A database of `count` documents written and closed, then opened again under `cacheSize`: every document known by its summary only. */
async function reopened(count: number, cacheSize: DatabaseOptions['cacheSize']) {
  const factory = new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF })
  const first = await factory.createTenant({ tenantId: 'acme', password: PASSWORD })
  const db = await first.openDB('notes', { cacheSize: 8 })
  for (let i = 0; i < count; i++) {
    const id = (await db.createDocument({ data: { n: i, kind: i % 3 === 0 ? 'a' : 'b' } })).getId()
    await db.changeDoc(id, (d) => void (d.getData().edited = true))
  }
  await first.close()
  const tenant = await factory.openTenant('acme', { password: PASSWORD })
  return { factory, tenant, db: await tenant.openDB('notes', { cacheSize }) }
}

/** Counts the store reads of entry bytes the database makes while `fn` runs. */
async function readsDuring<T>(db: Database, fn: () => Promise<T>): Promise<{ result: T; reads: number }> {
  const store = db.getStore()
  const getChanges = store.getChanges.bind(store)
  let reads = 0
  store.getChanges = (hashes) => (reads++, getChanges(hashes))
  try {
    return { result: await fn(), reads }
  } finally {
    store.getChanges = getChanges
  }
}

describe('a query over documents not in memory loads them a page at a time', () => {
  it('reads the storage once per page of documents, not once per document, and answers as reading one by one does', async () => {
    const count = 300
    const paged = await reopened(count, 256)
    const single = await reopened(count, { documents: 256, bytes: 1e12 }) // a byte bound: read one at a time
    const query = { where: { kind: 'a' }, orderBy: 'n' }
    const a = await readsDuring(paged.db, () => paged.db.query(query))
    const b = await readsDuring(single.db, () => single.db.query(query))
    expect(a.result.docs.map((d) => d.data)).toEqual(b.result.docs.map((d) => d.data))
    expect(a.result.docs).toHaveLength(100)
    expect(b.reads).toBeGreaterThanOrEqual(count) // one read at least per document
    expect(a.reads).toBeLessThanOrEqual(Math.ceil(count / 64) * 2)
    expect(paged.db.cacheStats().materialised).toBeLessThanOrEqual(256)
    await Promise.all([paged.tenant.close(), single.tenant.close()])
  })

  it('reads the documents that moved since an index was stored a page at a time when it loads', async () => {
    const count = 200
    const outcomes = []
    for (const cacheSize of [256, { documents: 256, bytes: 1e12 }]) {
      const { factory, tenant, db } = await reopened(count, cacheSize)
      await db.createIndex('byKind', { fields: ['kind'] })
      const ids = (await db.query({ orderBy: 'n' })).docs.map((d) => d.id) // the same documents in both databases
      await tenant.close()
      // Another session, without the index, changes 150 documents: the stored state is behind on them.
      const writer = await factory.openTenant('acme', { password: PASSWORD })
      const wdb = await writer.openDB('notes', { cacheSize })
      for (const id of ids.slice(0, 150)) await wdb.changeDoc(id, (d) => void (d.getData().kind = 'c'))
      await writer.close()
      const reader = await factory.openTenant('acme', { password: PASSWORD })
      const rdb = await reader.openDB('notes', { cacheSize })
      const { result, reads } = await readsDuring(rdb, () => rdb.createIndex('byKind', { fields: ['kind'] }))
      expect(result).toMatchObject({ opened: 'caught-up', read: 150, size: count })
      outcomes.push({ reads, docs: (await rdb.query({ where: { kind: 'c' }, orderBy: 'n' })).docs.map((d) => d.data) })
      await reader.close()
    }
    const [paged, single] = outcomes
    expect(paged!.docs).toEqual(single!.docs)
    expect(paged!.docs).toHaveLength(150)
    expect(single!.reads).toBeGreaterThanOrEqual(150)
    expect(paged!.reads).toBeLessThanOrEqual(Math.ceil(150 / 64) * 2)
  })

  it('gives the same results, under any cache bound and filter, as a database holding every document (property)', async () => {
    const count = 40
    const all = await reopened(count, 1_000)
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 50 }),
        fc.constantFrom('a', 'b'),
        fc.integer({ min: 0, max: count }),
        async (cacheSize, kind, from) => {
          const some = await reopened(count, cacheSize)
          const query = { where: { kind, n: { gte: from } }, orderBy: 'n' }
          const got = await some.db.query(query)
          expect(got.docs.map((d) => d.data)).toEqual((await all.db.query(query)).docs.map((d) => d.data))
          expect(some.db.cacheStats().materialised).toBeLessThanOrEqual(cacheSize)
          await some.tenant.close()
        },
      ),
      { numRuns: 12 },
    )
    await all.tenant.close()
  })
})

describe('a query over documents in memory', () => {
  it('does not wait for a write in progress', async () => {
    const factory = new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF })
    const tenant = await factory.createTenant({ tenantId: 'acme', password: PASSWORD })
    const db = await tenant.openDB('notes')
    const ids = []
    for (let i = 0; i < 5; i++) ids.push((await db.createDocument({ data: { n: i } })).getId())
    // Hold the next write inside the store, where the database holds its lock.
    const store = db.getStore()
    const append = store.append.bind(store)
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    store.append = async (entry) => (await gate, append(entry))
    const write = db.changeDoc(ids[0]!, (d) => void (d.getData().n = 99))
    const result = await Promise.race([
      db.query({ orderBy: { field: 'n' } }),
      new Promise<'blocked'>((resolve) => setTimeout(() => resolve('blocked'), 2000)),
    ])
    release()
    await write
    expect(result === 'blocked' ? result : result.docs.map((d) => d.data.n)).toEqual([0, 1, 2, 3, 4])
    await tenant.close()
    await factory.close()
  })
})
