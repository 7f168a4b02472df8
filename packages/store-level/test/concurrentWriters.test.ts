import { ready, TenantFactory, TEST_KDF, type ChangeHash, type Database } from '@weft/core'
import { EntryFactory, envelope } from '@weft/core/testing'
import fc from 'fast-check'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { LevelStoreFactory, type LevelChangeStore } from '../src/index.ts'
import { tempDir } from './helpers/tempDir.ts'

/** Arrival order of a whole store, checked gap-free and without repeats. */
async function arrivalOrder(store: LevelChangeStore): Promise<ChangeHash[]> {
  const page = await store.scan(null, { limit: 100_000 })
  expect(page.entries.map((e) => e.seq)).toEqual(page.entries.map((_, i) => i + 1))
  const hashes = page.entries.map((e) => e.hash)
  expect(new Set(hashes).size).toBe(hashes.length)
  expect((await store.checkIntegrity()).problems).toEqual([])
  return hashes
}

/** Resolves once `db` has materialised everything appended to its store so far (its lock is FIFO). */
const settled = (db: Database) => db.syncStoreChanges([])

describe('several writers over one LevelDB store in one process', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let factory: LevelStoreFactory
  let f: EntryFactory
  beforeAll(async () => {
    await ready()
    f = new EntryFactory(4)
  })
  beforeEach(async () => {
    dir = await tempDir()
    factory = new LevelStoreFactory({ path: dir.path })
  })
  afterEach(async () => {
    await factory.close()
    await dir.remove()
  })

  it('two references appending concurrently, overlapping: each entry stored once, arrival order gap-free', async () => {
    const pool = f.entries(24).map(envelope)
    const batch = fc.array(fc.nat(pool.length - 1), { minLength: 1, maxLength: 8 })
    let run = 0
    await fc.assert(
      fc.asyncProperty(fc.array(batch, { maxLength: 6 }), fc.array(batch, { maxLength: 6 }), async (forA, forB) => {
        const name = `t/db-${run++}`
        const [a, b] = await Promise.all([factory.openChangeStore(name), factory.openChangeStore(name)])
        expect(a).toBe(b)
        const results = await Promise.all([
          ...forA.map((idx) => a.appendMany(idx.map((i) => pool[i]!))),
          ...forB.map((idx) => b.appendMany(idx.map((i) => pool[i]!))),
        ])
        const added = results.flatMap((r) => r.added)
        const unique = new Set([...forA, ...forB].flat().map((i) => pool[i]!.hash))
        expect(added.length).toBe(unique.size)
        expect(new Set(added)).toEqual(unique)
        expect(results.every((r) => r.rejected.length === 0)).toBe(true)
        const order = await arrivalOrder(a)
        expect(new Set(order)).toEqual(unique)
        // Arrival order is the order in which appends committed, batch by batch.
        expect(order).toEqual(added)
      }),
      { numRuns: 25 },
    )
  })

  it('concurrent appends survive a reopen in the order they were numbered', async () => {
    const store = await factory.openChangeStore('t/db')
    const pool = f.entries(400).map(envelope)
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, k) => store.appendMany(pool.filter((_, i) => i % 8 === k || i % 5 === k))),
    )
    const added = results.flatMap((r) => r.added)
    expect(added.length).toBe(400)
    await factory.close()
    factory = new LevelStoreFactory({ path: dir.path })
    expect(await arrivalOrder(await factory.openChangeStore('t/db'))).toEqual(added)
  })

  it('two Database objects over one store see each other’s documents and converge, with no duplicate entries', async () => {
    const tenants = new TenantFactory({ storeFactory: factory, kdf: TEST_KDF })
    await tenants.createTenant({ tenantId: 'acme', password: 'pw' })
    const [t1, t2] = [
      await tenants.openTenant('acme', { password: 'pw' }),
      await tenants.openTenant('acme', { password: 'pw' }),
    ]
    const [db1, db2] = [await t1.openDB('notes'), await t2.openDB('notes')]
    expect(db1).not.toBe(db2)
    expect(db1.getStore()).toBe(db2.getStore())

    // Both create documents at the same time.
    const created = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => db1.createDocument({ data: { by: 'one', i } })),
      ...Array.from({ length: 10 }, (_, i) => db2.createDocument({ data: { by: 'two', i } })),
    ])
    await Promise.all([settled(db1), settled(db2)])
    const ids = created.map((d) => d.getId()).sort()
    expect((await db1.getAllDocumentIds()).sort()).toEqual(ids)
    expect((await db2.getAllDocumentIds()).sort()).toEqual(ids)

    // Both edit the same documents at the same time; each sees the other's edits merged.
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        created
          .slice(0, 4)
          .flatMap((doc) => [
            db1.changeDoc(doc.getId(), (d) => void (d.getData()[`one${round}`] = round)),
            db2.changeDoc(doc.getId(), (d) => void (d.getData()[`two${round}`] = round)),
          ]),
      )
      await Promise.all([settled(db1), settled(db2)])
    }
    for (const doc of created) {
      const one = (await db1.getDocument(doc.getId()))!.getData()
      const two = (await db2.getDocument(doc.getId()))!.getData()
      expect(two).toEqual(one)
    }
    expect((await db1.getDocument(created[0]!.getId()))!.getData()).toMatchObject({ one4: 4, two4: 4 })

    const order = await arrivalOrder(db1.getStore() as LevelChangeStore)
    expect(order.length).toBe(20 + 4 * 2 * 5)

    // After a restart, one database rebuilds the same documents from disk.
    const expected = Object.fromEntries(
      await Promise.all(ids.map(async (id) => [id, (await db1.getDocument(id))!.getData()] as const)),
    )
    await tenants.close()
    factory = new LevelStoreFactory({ path: dir.path })
    const again = await new TenantFactory({ storeFactory: factory, kdf: TEST_KDF }).openTenant('acme', {
      password: 'pw',
    })
    const db = await again.openDB('notes')
    const loaded = Object.fromEntries(
      await Promise.all(
        (await db.getAllDocumentIds()).map(async (id) => [id, (await db.getDocument(id))!.getData()] as const),
      ),
    )
    expect(loaded).toEqual(expected)
  })
})
