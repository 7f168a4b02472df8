import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { MemoryStoreFactory, ready, TenantFactory, TEST_KDF, type Database, type DocId } from '../src/index.ts'

beforeAll(ready)

const PASSWORD = 'pw'

async function open(factory: TenantFactory) {
  const tenant = await factory.openTenant('acme', { password: PASSWORD })
  return { tenant, db: await tenant.openDB('notes', { cacheSize: 4 }) }
}

/** Every document's data, by id. */
async function dataOf(db: Database): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {}
  for (const id of (await db.getAllDocumentIds()).sort()) out[id] = (await db.getDocument(id))?.toJSON()
  return out
}

describe('the persisted index is written as a database goes, and whole at close', () => {
  it('after any number of writes, a clean close leaves an index the next open finds current, re-deriving nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Up to almost three times the index's cadence (256 entries), in any mix of creates and changes.
        fc.array(fc.record({ doc: fc.nat(9), create: fc.boolean() }), { maxLength: 700, size: 'max' }),
        async (writes) => {
          const factory = new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF })
          await (await factory.createTenant({ tenantId: 'acme', password: PASSWORD })).close()
          const first = await open(factory)
          const ids: DocId[] = [(await first.db.createDocument({ data: { n: -1 } })).getId()]
          for (const [n, w] of writes.entries()) {
            if (w.create) ids.push((await first.db.createDocument({ data: { n } })).getId())
            else await first.db.changeDoc(ids[w.doc % ids.length]!, (d) => void (d.getData().n = n))
          }
          const before = await dataOf(first.db)
          await first.tenant.close()

          const again = await open(factory)
          expect(again.db.cacheStats()).toMatchObject({ opened: 'current', caughtUp: 0 })
          expect(await dataOf(again.db)).toEqual(before)
          await again.tenant.close()
          await factory.close()
        },
      ),
      { numRuns: 12 },
    )
  }, 120_000)

  it('counts the entries an open re-derives: those that arrived while it was closed', async () => {
    const factory = new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF })
    await (await factory.createTenant({ tenantId: 'acme', password: PASSWORD })).close()
    const first = await open(factory)
    const id = (await first.db.createDocument({ data: { n: 0 } })).getId()
    // A second open of the tenant in the same storage (without the index the first holds) writes
    // while the first is closed.
    const other = await open(factory)
    await first.tenant.close()
    for (let n = 1; n <= 5; n++) await other.db.changeDoc(id, (d) => void (d.getData().n = n))
    await other.tenant.close()

    const again = await open(factory)
    expect(again.db.cacheStats()).toMatchObject({ opened: 'caught-up', caughtUp: 5 })
    expect((await again.db.getDocument(id))?.toJSON()).toEqual({ n: 5 })
    await again.tenant.close()
    await factory.close()
  })
})
