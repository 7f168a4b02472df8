import 'fake-indexeddb/auto'
import { ErrorCodes, isWeftError, TenantFactory, TEST_KDF } from '@weft/core'
import { IdbStoreFactory } from '@weft/store-idb'
import { deleteDB } from 'idb'
import { afterEach, describe, expect, it } from 'vitest'

describe('IdbStoreFactory', () => {
  const names: string[] = []
  const open: (IdbStoreFactory | TenantFactory)[] = []
  const factory = (name: string) => {
    const f = new IdbStoreFactory({ name })
    open.push(f)
    return f
  }
  let databases = 0
  const freshName = () => {
    const name = `factory-${++databases}`
    names.push(name)
    return name
  }

  afterEach(async () => {
    await Promise.all(open.splice(0).map((f) => f.close()))
    await Promise.all(names.splice(0).map((n) => deleteDB(n)))
  })

  it('returns the same store for a name while it is open, and a new one after', async () => {
    const f = factory(freshName())
    const [a, b] = await Promise.all([f.openChangeStore('t/db'), f.openChangeStore('t/db')])
    expect(a).toBe(b)
    expect(await f.openChangeStore('t/other')).not.toBe(a)
    expect(await f.openKeyValueStore('records')).toBe(await f.openKeyValueStore('records'))
    const { epoch } = await a.head()
    await a.close()
    const c = await f.openChangeStore('t/db')
    expect(c).not.toBe(a)
    expect((await c.head()).epoch).toBe(epoch)
    await f.close()
    await expect(c.head()).rejects.toSatisfy((e) => isWeftError(e, ErrorCodes.CLOSED))
    expect(await f.openChangeStore('t/db')).not.toBe(c)
  })

  it('reopens a tenant and its documents from IndexedDB with its password', async () => {
    const name = freshName()
    const first = new TenantFactory({ storeFactory: factory(name), kdf: TEST_KDF })
    const tenant = await first.createTenant({ tenantId: 'acme', password: 'pw' })
    const db = await tenant.openDB('notes')
    const doc = await db.createDocument({ data: { title: 'groceries' } })
    await db.changeDoc(doc, (d) => {
      d.getData().done = true
    })
    await tenant.close()
    await first.close()

    const second = new TenantFactory({ storeFactory: factory(name), kdf: TEST_KDF })
    open.push(second)
    await expect(second.openTenant('acme', { password: 'wrong' })).rejects.toSatisfy((e) =>
      isWeftError(e, ErrorCodes.WRONG_PASSWORD),
    )
    const again = await second.openTenant('acme', { password: 'pw' })
    const reopened = await again.openDB('notes')
    expect(await reopened.getAllDocumentIds()).toEqual([doc.getId()])
    expect((await reopened.getDocument(doc.getId()))?.getData()).toEqual({ title: 'groceries', done: true })
    await again.close()
  })

  it('shows a database the documents another connection writes, without reopening', async () => {
    const name = freshName()
    const writerSide = new TenantFactory({ storeFactory: factory(name), kdf: TEST_KDF })
    const writer = await writerSide.createTenant({ tenantId: 'acme', password: 'pw' })
    const readerSide = new TenantFactory({ storeFactory: factory(name), kdf: TEST_KDF })
    const reader = await readerSide.openTenant('acme', { password: 'pw' })
    const [w, r] = [await writer.openDB('notes'), await reader.openDB('notes')]
    const arrived = new Promise<void>((resolve) => r.on('docs-changed', () => resolve()))
    const doc = await w.createDocument({ data: { title: 'from the other tab' } })
    await arrived
    expect((await r.getDocument(doc.getId()))?.getData()).toEqual({ title: 'from the other tab' })
    await writer.close()
    await reader.close()
  })
})
