import { beforeAll, describe, expect, it } from 'vitest'
import {
  ErrorCodes,
  isWeftError,
  MemoryStoreFactory,
  ready,
  TenantFactory,
  TEST_KDF,
  type ChangeHash,
  type ChangeStore,
} from '../src/index.ts'

beforeAll(ready)

async function fresh(options: { snapshotEvery?: number } = {}) {
  const factory = new TenantFactory({ kdf: TEST_KDF })
  const tenant = await factory.createTenant({ tenantId: 'acme', password: 'pw' })
  const db = await tenant.openDB('orders', options)
  return { factory, tenant, db }
}

/** Memory storage that counts the entries read through `getChanges`. */
class CountingStoreFactory extends MemoryStoreFactory {
  reads = 0

  override async openChangeStore(name: string): Promise<ChangeStore> {
    const store = await super.openChangeStore(name)
    return new Proxy(store, {
      get: (target, prop) => {
        if (prop === 'getChanges') {
          return async (hashes: ChangeHash[]) => {
            this.reads += hashes.length
            return target.getChanges(hashes)
          }
        }
        const v = Reflect.get(target, prop, target)
        return typeof v === 'function' ? v.bind(target) : v
      },
    })
  }
}

describe('Database', () => {
  it('creates, changes and deletes documents, one entry each', async () => {
    const { db } = await fresh()
    const doc = await db.createDocument({ data: { status: 'new', lines: [{ sku: 'A', qty: 1 }] } })
    await db.changeDoc(doc, (d) => {
      d.getData().status = 'pending'
      d.getData().lines[0]!.qty = 2
    })
    expect(doc.getData()).toEqual({ status: 'pending', lines: [{ sku: 'A', qty: 2 }] })
    expect(await db.getStore().getAllChangeHashesForDoc(doc.getId())).toHaveLength(2)
    expect(await db.getAllDocumentIds()).toEqual([doc.getId()])
    await db.deleteDocument(doc.getId())
    expect(doc.isDeleted()).toBe(true)
    expect(await db.getDocumentStatus(doc.getId())).toBe('deleted')
    expect(await db.getAllDocumentIds()).toEqual([])
    expect((await db.getStore().head()).count).toBe(3)
    await expect(db.changeDoc(doc, (d) => void (d.getData().x = 1))).rejects.toSatisfy((e) =>
      isWeftError(e, ErrorCodes.DOCUMENT_DELETED),
    )
  })

  it('writes nothing for a change that changes nothing', async () => {
    const { db } = await fresh()
    const doc = await db.createDocument({ data: { a: 1 } })
    await db.changeDoc(doc, () => {})
    expect((await db.getStore().head()).count).toBe(1)
  })

  it('refuses unknown documents and unknown keys with typed errors', async () => {
    const { db } = await fresh()
    await expect(db.changeDoc('00'.repeat(16) as never, () => {})).rejects.toSatisfy((e) =>
      isWeftError(e, ErrorCodes.DOCUMENT_NOT_FOUND),
    )
    await expect(db.createDocument({ keyId: 'missing' })).rejects.toSatisfy((e) =>
      isWeftError(e, ErrorCodes.KEY_NOT_FOUND),
    )
  })

  it('announces local changes', async () => {
    const { db } = await fresh()
    const heard: string[] = []
    db.on('docs-changed', (e) => heard.push(`${e.source}:${e.docIds.length}`))
    const doc = await db.createDocument()
    await db.changeDoc(doc, (d) => void (d.getData().x = 1))
    expect(heard).toEqual(['local:1', 'local:1'])
  })

  it('writes snapshots and reloads from them without reading covered entries', async () => {
    const storage = new CountingStoreFactory()
    const factory = new TenantFactory({ kdf: TEST_KDF, storeFactory: storage })
    const tenant = await factory.createTenant({ tenantId: 'acme', password: 'pw' })
    const db = await tenant.openDB('orders', { snapshotEvery: 10 })
    const doc = await db.createDocument({ data: { n: 0 } })
    for (let i = 1; i <= 35; i++) await db.changeDoc(doc, (d) => void (d.getData().n = i))
    const kinds = (await db.getStore().scan(null, { limit: 1000 })).entries.map((e) => e.kind)
    expect(kinds.filter((k) => k === 'snapshot')).toHaveLength(3)
    expect(kinds.length).toBe(39)

    storage.reads = 0
    const db2 = await (await factory.openTenant('acme', { password: 'pw' })).openDB('orders')
    const loaded = await db2.getDocument(doc.getId())
    expect(loaded?.getData()).toEqual({ n: 35 })
    // the newest snapshot (written after change 30) and the 5 changes after it; not all 39 entries
    expect(storage.reads).toBe(6)
    await db2.changeDoc(doc.getId(), (d) => void (d.getData().n = 36))
    expect(loaded?.getData()).toEqual({ n: 36 })
  })

  it('reopens through the tenant with the same documents', async () => {
    const { factory, db } = await fresh({ snapshotEvery: 4 })
    const a = await db.createDocument({ data: { name: 'a' } })
    const b = await db.createDocument({ data: { name: 'b' } })
    for (let i = 0; i < 9; i++) await db.changeDoc(a, (d) => void (d.getData().i = i))
    await db.deleteDocument(b)
    const tenant2 = await factory.openTenant('acme', { password: 'pw' })
    const db2 = await tenant2.openDB('orders')
    expect((await db2.getDocument(a.getId()))?.toJSON()).toEqual({ name: 'a', i: 8 })
    expect(await db2.getDocumentStatus(b.getId())).toBe('deleted')
    expect(await db2.getAllDocumentIds()).toEqual([a.getId()])
    expect((await db2.getDocument(a.getId()))?.getHeads()).toEqual(a.getHeads())
  })
})
