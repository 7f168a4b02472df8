import { ready, TenantFactory, TEST_KDF } from '@weft/core'
import { EntryFactory, envelope } from '@weft/core/testing'
import { rm } from 'node:fs/promises'
import { Level } from 'level'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { LevelChangeStore, LevelStoreFactory, type LevelDatabase } from '../src/index.ts'
import { tempDir } from './helpers/tempDir.ts'

describe('LevelStoreFactory', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let factory: LevelStoreFactory
  let f: EntryFactory
  beforeAll(async () => {
    await ready()
    f = new EntryFactory()
  })
  beforeEach(async () => {
    dir = await tempDir()
    factory = new LevelStoreFactory({ path: dir.path })
  })
  afterEach(async () => {
    await factory.close()
    await dir.remove()
  })

  const reopen = async () => {
    await factory.close()
    factory = new LevelStoreFactory({ path: dir.path })
  }

  it('returns the same store instance for the same name while it is open, even to concurrent callers', async () => {
    const [a, b] = await Promise.all([factory.openChangeStore('acme/orders'), factory.openChangeStore('acme/orders')])
    expect(a).toBe(b)
    expect(await factory.openChangeStore('acme/orders')).toBe(a)
    expect(await factory.openChangeStore('acme/invoices')).not.toBe(a)
  })

  it('shares one store instance between factories given the same Level database, so arrival numbers cannot collide', async () => {
    const db: LevelDatabase = new Level<string, Uint8Array>(`${dir.path}-given`, { valueEncoding: 'view' })
    try {
      const one = new LevelStoreFactory({ db })
      const two = new LevelStoreFactory({ db })
      const [a, b] = await Promise.all([one.openChangeStore('acme/orders'), two.openChangeStore('acme/orders')])
      expect(a).toBe(b)
      expect(await LevelChangeStore.open(db, 'acme/orders')).toBe(a)
      await Promise.all([a.appendMany(f.entries(5).map(envelope)), b.appendMany(f.entries(5).map(envelope))])
      expect((await a.scan(null)).entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
      await one.close()
      await two.close()
      expect(db.status).toBe('open') // a given database is its owner's to close
    } finally {
      await db.close()
      await rm(`${dir.path}-given`, { recursive: true, force: true })
    }
  })

  it('opens a store again, over the same data, after its holder closed it', async () => {
    const a = await factory.openChangeStore('acme/orders')
    await a.appendMany(f.entries(2).map(envelope))
    const head = await a.head()
    await a.close()
    const b = await factory.openChangeStore('acme/orders')
    expect(b).not.toBe(a)
    expect(await b.head()).toEqual(head)
  })

  it('keeps many stores in one folder, each with its own arrival order and epoch, across reopen', async () => {
    const names = ['acme/orders', 'acme/orders2', 'acme:prod/db', 'ünïcode/ðb', 'with space/and!bang', 'tilde~/x', '']
    const written = new Map<string, string[]>()
    for (const [i, name] of names.entries()) {
      const es = f.entries(i + 1)
      await (await factory.openChangeStore(name)).appendMany(es.map(envelope))
      written.set(
        name,
        es.map((e) => e.hash),
      )
    }
    const epochs = new Set<string>()
    await reopen()
    for (const name of names) {
      const store = await factory.openChangeStore(name)
      expect(await store.getAllChangeHashes()).toEqual(written.get(name))
      const head = await store.head()
      expect(head.seq).toBe(written.get(name)!.length)
      epochs.add(head.epoch)
    }
    expect(epochs.size).toBe(names.length)
  })

  it('keeps records in key-value stores, listed by prefix in key order, across reopen', async () => {
    const kv = await factory.openKeyValueStore('weft-sync-states')
    expect(await factory.openKeyValueStore('weft-sync-states')).toBe(kv)
    await kv.put('t1/b', new Uint8Array([2]))
    await kv.put('t1/a', new Uint8Array([1]))
    await kv.put('t2/a', new Uint8Array([3]))
    await kv.put('t1', new Uint8Array([0]))
    const other = await factory.openKeyValueStore('weft-tenants')
    await other.put('t1/z', new Uint8Array([9]))
    await kv.delete('t1')
    await reopen()
    const again = await factory.openKeyValueStore('weft-sync-states')
    expect(await again.keys('t1/')).toEqual(['t1/a', 't1/b'])
    expect(await again.keys()).toEqual(['t1/a', 't1/b', 't2/a'])
    expect(await again.get('t2/a')).toEqual(new Uint8Array([3]))
    expect(await again.get('t1')).toBeUndefined()
    expect(await (await factory.openKeyValueStore('weft-tenants')).keys()).toEqual(['t1/z'])
  })

  it('pages through records by prefix in key order, after a given key, with the same answers as keys and get', async () => {
    const kv = await factory.openKeyValueStore('weft-db-index')
    for (const k of ['p/s/c', 'p/s/a', 'p/s/b', 'p/t', 'p/s', 'o/s/a']) await kv.put(k, new Uint8Array([k.length]))
    const page = (after: string | undefined, limit: number) =>
      kv.entries!('p/s/', { after, limit }).then((rows) => rows.map(([k, v]) => `${k}=${v[0]}`))
    expect(await page(undefined, 2)).toEqual(['p/s/a=5', 'p/s/b=5'])
    expect(await page('p/s/b', 2)).toEqual(['p/s/c=5'])
    expect(await page('p/s/c', 2)).toEqual([])
    expect(await page('a', 10)).toEqual(['p/s/a=5', 'p/s/b=5', 'p/s/c=5'])
  })

  it('keeps its own copy of a record', async () => {
    const kv = await factory.openKeyValueStore('records')
    const value = new Uint8Array([1, 2, 3])
    await kv.put('k', value)
    value.fill(0)
    expect(await kv.get('k')).toEqual(new Uint8Array([1, 2, 3]))
  })

  it('closes every store it opened', async () => {
    const store = await factory.openChangeStore('acme/orders')
    const kv = await factory.openKeyValueStore('records')
    await factory.close()
    expect(store.closed).toBe(true)
    expect(kv.closed).toBe(true)
  })

  it('refuses options without a path or a db', () => {
    expect(() => new LevelStoreFactory({ path: '' })).toThrow()
    expect(() => new LevelStoreFactory({} as never)).toThrow()
  })

  it('is the storage of a TenantFactory', async () => {
    const tenants = new TenantFactory({ storeFactory: factory, kdf: TEST_KDF })
    const tenant = await tenants.createTenant({ tenantId: 'acme', password: 'pw' })
    const db = await tenant.openDB('orders')
    const doc = await db.createDocument({ data: { status: 'new' } })
    expect((await db.getStore().getAllChangeHashesForDoc(doc.getId())).length).toBe(1)
    expect(db.getStore()).toBe(await factory.openChangeStore('acme/orders'))
    await tenants.close()
  })
})
