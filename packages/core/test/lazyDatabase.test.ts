import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  MemoryStoreFactory,
  ready,
  TenantFactory,
  TEST_KDF,
  type Database,
  type DocId,
  type ChangeHash,
  type Tenant,
} from '../src/index.ts'
import { parseEntry } from '../src/backend.ts'

beforeAll(ready)

const PASSWORD = 'pw'

/** Everything a reader can see of a database, document by document, in a comparable form. */
async function view(db: Database) {
  const ids = (await db.getAllDocumentIds()).sort()
  const list = (await db.listDocuments()).sort((a, b) => (a.id < b.id ? -1 : 1))
  const docs: Record<string, unknown> = {}
  for (const info of list) {
    const doc = await db.getDocument(info.id)
    docs[info.id] = doc && { data: doc.toJSON(), heads: doc.getHeads(), deleted: doc.isDeleted() }
  }
  return { ids, list, docs, missing: db.getMissingEntries().sort() }
}

/**
 * The same database as an eager open gives it: the tenant opened again in the same storage while
 * the lazy one is open runs without the persisted index (one open database claims it), so it
 * materialises every document from the store, all held in its cache.
 */
async function eagerView(factory: TenantFactory, name = 'notes') {
  const tenant = await factory.openTenant('acme', { password: PASSWORD })
  try {
    const db = await tenant.openDB(name, { cacheSize: 1_000_000 })
    expect(db.cacheStats().opened).toBe('rebuilt')
    expect(db.cacheStats().materialised).toBe(db.cacheStats().documents)
    return await view(db)
  } finally {
    await tenant.close()
  }
}

async function setup(cacheSize: number) {
  const storeFactory = new MemoryStoreFactory()
  const factory = new TenantFactory({ storeFactory, kdf: TEST_KDF })
  const tenant = await factory.createTenant({ tenantId: 'acme', password: PASSWORD })
  const db = await tenant.openDB('notes', { cacheSize, snapshotEvery: 3 })
  return { storeFactory, factory, tenant, db }
}

async function reopen(factory: TenantFactory, cacheSize: number): Promise<{ tenant: Tenant; db: Database }> {
  const tenant = await factory.openTenant('acme', { password: PASSWORD })
  return { tenant, db: await tenant.openDB('notes', { cacheSize, snapshotEvery: 3 }) }
}

describe('a database opens from its persisted index and materialises documents on demand', () => {
  it('opens without materialising any document, reads what an eager open reads, and keeps at most cacheSize documents', async () => {
    const { factory, tenant, db } = await setup(4)
    const ids: DocId[] = []
    for (let i = 0; i < 20; i++) ids.push((await db.createDocument({ data: { n: i, title: `note ${i}` } })).getId())
    for (const id of ids.slice(0, 10))
      for (let k = 0; k < 4; k++) await db.changeDoc(id, (d) => void (d.getData().k = k))
    await db.deleteDocument(ids[19]!)
    expect(db.cacheStats().materialised).toBeLessThanOrEqual(4)
    const before = await view(db)
    await tenant.close()

    const again = await reopen(factory, 4)
    expect(again.db.cacheStats()).toMatchObject({ opened: 'current', materialised: 0, documents: 20 })
    expect((await again.db.getAllDocumentIds()).sort()).toEqual(before.ids)
    expect(await again.db.getDocumentStatus(ids[19]!)).toBe('deleted')
    expect(again.db.cacheStats().materialised).toBe(0)
    const after = await view(again.db)
    expect(after).toEqual(before)
    expect(after).toEqual(await eagerView(factory))
    const stats = again.db.cacheStats()
    expect(stats.materialised).toBeLessThanOrEqual(4)
    expect(stats.evictions).toBeGreaterThan(0)
    await again.tenant.close()
  })

  it('keeps a handle live across its eviction: the handle shows the change made after it was evicted', async () => {
    const { tenant, db } = await setup(2)
    const held = await db.createDocument({ data: { v: 1 } })
    for (let i = 0; i < 5; i++) await db.createDocument({ data: { other: i } })
    // Evicted (the cache holds two), yet the handle still reads its data: detached, not freed.
    expect(db.cacheStats().materialised).toBe(2)
    expect(held.getData()).toEqual({ v: 1 })
    // Its Automerge document was freed at eviction: the handle reads the plain view it left.
    expect(() => A.getHeads(held.getData())).toThrow()
    await db.changeDoc(held.getId(), (d) => void (d.getData().v = 2))
    expect(held.getData()).toEqual({ v: 2 })
    expect(held.getHeads()).toEqual((await db.getDocument(held.getId()))!.getHeads())
    await tenant.close()
  })

  it('loads a document from the snapshot it was last loaded from, reading none of the entries it covers', async () => {
    const { factory, tenant, db } = await setup(10)
    const doc = await db.createDocument({ data: { n: 0 } })
    for (let i = 1; i <= 10; i++) await db.changeDoc(doc, (d) => void (d.getData().n = i))
    await db.snapshot(doc)
    await db.changeDoc(doc, (d) => void (d.getData().n = 11)) // the one change after the snapshot
    const expected = { data: doc.toJSON(), heads: doc.getHeads() }
    await tenant.close()

    const again = await reopen(factory, 10)
    const store = again.db.getStore()
    const asked = new Set<ChangeHash>()
    const readTwice: ChangeHash[] = []
    const read = store.getChanges.bind(store)
    store.getChanges = (hashes) => {
      for (const h of hashes) if (asked.has(h)) readTwice.push(h)
      for (const h of hashes) asked.add(h)
      return read(hashes)
    }
    const loaded = await again.db.getDocument(doc.getId())
    expect({ data: loaded?.toJSON(), heads: loaded?.getHeads() }).toEqual(expected)
    const kinds = (await read([...asked])).map((e) => parseEntry(e.hash, e.bytes).header.kind)
    expect(kinds.filter((k) => k === 'change')).toHaveLength(1) // the change after it, no other
    expect(kinds).toContain('snapshot')
    expect(readTwice).toEqual([]) // the snapshot too is read once
    await again.tenant.close()
  })

  it('rebuilds a deleted index from the store', async () => {
    const { storeFactory, factory, tenant, db } = await setup(3)
    for (let i = 0; i < 8; i++) await db.createDocument({ data: { n: i } })
    const before = await view(db)
    await tenant.close()
    const kv = await storeFactory.openKeyValueStore('weft-db-index')
    const keys = await kv.keys('acme/notes/')
    expect(keys.length).toBeGreaterThan(0)
    for (const k of keys) await kv.delete(k)
    const again = await reopen(factory, 3)
    expect(again.db.cacheStats().opened).toBe('rebuilt')
    expect(await view(again.db)).toEqual(before)
    await again.tenant.close()
    const third = await reopen(factory, 3)
    expect(third.db.cacheStats().opened).toBe('current')
    await third.tenant.close()
  })

  it('rebuilds an index whose header does not open (tampered)', async () => {
    const { storeFactory, factory, tenant, db } = await setup(3)
    for (let i = 0; i < 5; i++) await db.createDocument({ data: { n: i } })
    const before = await view(db)
    await tenant.close()
    const kv = await storeFactory.openKeyValueStore('weft-db-index')
    const [header] = (await kv.keys('acme/notes/')).filter((k) => k.endsWith('/h'))
    const bytes = (await kv.get(header!))!
    bytes[bytes.length - 1]! ^= 1
    await kv.put(header!, bytes)
    const again = await reopen(factory, 3)
    expect(again.db.cacheStats().opened).toBe('rebuilt')
    expect(await view(again.db)).toEqual(before)
    await again.tenant.close()
  })

  it('materialises from the store a document whose summary does not open, or was swapped for another', async () => {
    const { storeFactory, factory, tenant, db } = await setup(3)
    const ids: DocId[] = []
    for (let i = 0; i < 5; i++) ids.push((await db.createDocument({ data: { n: i } })).getId())
    await db.deleteDocument(ids[0]!)
    const before = await view(db)
    await tenant.close()
    const kv = await storeFactory.openKeyValueStore('weft-db-index')
    const keyOf = async (id: DocId) => (await kv.keys('acme/notes/')).find((k) => k.endsWith(`/s/${id}`))!
    const tampered = (await kv.get(await keyOf(ids[0]!)))!
    tampered[tampered.length - 1]! ^= 1
    await kv.put(await keyOf(ids[0]!), tampered)
    // A valid summary under another document's key: bound to its key, it does not open there.
    await kv.put(await keyOf(ids[1]!), (await kv.get(await keyOf(ids[2]!)))!)
    const again = await reopen(factory, 3)
    expect(again.db.cacheStats().opened).toBe('current')
    expect(await again.db.getDocumentStatus(ids[0]!)).toBe('deleted')
    expect(await view(again.db)).toEqual(before)
    await again.tenant.close()
  })

  it('rebuilds an index made under other trust (a partner added since)', async () => {
    const { factory, tenant, db } = await setup(3)
    for (let i = 0; i < 4; i++) await db.createDocument({ data: { n: i } })
    const before = await view(db)
    await tenant.close()
    const globex = await factory.createTenant({ tenantId: 'globex', password: PASSWORD })
    const again = await factory.openTenant('acme', { password: PASSWORD })
    await again.addPartner(globex.publicProfile(), { dbs: ['notes'] })
    const db2 = await again.openDB('notes', { cacheSize: 3 })
    expect(db2.cacheStats().opened).toBe('rebuilt')
    expect(await view(db2)).toEqual(before)
    await again.close()
    const third = await reopen(factory, 3)
    expect(third.db.cacheStats().opened).toBe('current')
    await third.tenant.close()
    await globex.close()
  })

  it('retries held entries at open: a key that arrived while the database was closed unlocks its document', async () => {
    const { factory, tenant, db } = await setup(3)
    await tenant.keyBag.generateKey('k')
    const doc = await db.createDocument({ keyId: 'k', data: { secret: 1 } })
    const globex = await factory.createTenant({ tenantId: 'globex', password: PASSWORD })
    await globex.addPartner(tenant.publicProfile(), { dbs: ['notes'] })
    await tenant.addPartner(globex.publicProfile(), { dbs: ['notes'] })
    const inbox = await globex.openDB('notes')
    await inbox.pullChangesFrom(db)
    expect(await inbox.getDocumentStatus(doc.getId())).toBe('locked')
    const sealed = tenant.shareKey('k', globex.publicProfile())
    await globex.close()
    const again = await factory.openTenant('globex', { password: PASSWORD })
    await again.acceptSharedKey(sealed)
    const inbox2 = await again.openDB('notes')
    expect(inbox2.cacheStats().opened).not.toBe('rebuilt')
    expect(await inbox2.getDocumentStatus(doc.getId())).toBe('ready')
    expect((await inbox2.getDocument(doc.getId()))!.getData()).toEqual({ secret: 1 })
    await again.close()
    await tenant.close()
  })

  it('catches up with entries that arrived while it was closed, re-deriving only their documents', async () => {
    const { factory, tenant, db } = await setup(3)
    const ids: DocId[] = []
    for (let i = 0; i < 6; i++) ids.push((await db.createDocument({ data: { n: i } })).getId())
    // A second open of the tenant in the same storage writes while the first is closed.
    const other = await reopen(factory, 100)
    await tenant.close()
    await other.db.changeDoc(ids[0]!, (d) => void (d.getData().late = true))
    await other.db.deleteDocument(ids[1]!)
    await other.db.createDocument({ data: { n: 99 } })
    await other.tenant.close()
    const again = await reopen(factory, 3)
    expect(again.db.cacheStats().opened).toBe('caught-up')
    expect((await again.db.getDocument(ids[0]!))!.getData()).toEqual({ n: 0, late: true })
    expect(await again.db.getDocumentStatus(ids[1]!)).toBe('deleted')
    expect(await view(again.db)).toEqual(await eagerView(factory))
    await again.tenant.close()
  })

  it('indexes, queries, history and filtered iteration run over documents not held in memory', async () => {
    const { factory, tenant, db } = await setup(3)
    for (let i = 0; i < 12; i++) await db.createDocument({ data: { n: i, even: i % 2 === 0 } })
    await tenant.close()
    const again = await reopen(factory, 3)
    await again.db.createIndex('byN', { fields: ['n'] })
    const hits = await again.db.query({ where: { n: { gte: 8 } }, orderBy: 'n' })
    expect(hits.docs.map((h) => h.data.n)).toEqual([8, 9, 10, 11])
    const seen: number[] = []
    for await (const { doc } of again.db.iterateChangesSince(null, { filter: { where: { even: true } } })) {
      seen.push(doc.getData().n as number)
      expect(again.db.cacheStats().materialised).toBeLessThanOrEqual(3)
    }
    expect(seen.sort((a, b) => a - b)).toEqual([0, 2, 4, 6, 8, 10])
    const id = (await again.db.getAllDocumentIds())[0]!
    expect(await again.db.getDocumentHistory(id)).toHaveLength(1)
    expect(again.db.cacheStats().materialised).toBeLessThanOrEqual(3)
    await again.tenant.close()
  })
})

type Op =
  | { readonly op: 'create'; readonly n: number }
  | { readonly op: 'change'; readonly doc: number; readonly n: number }
  | { readonly op: 'delete'; readonly doc: number }
  | { readonly op: 'snapshot'; readonly doc: number }
  | { readonly op: 'received'; readonly doc: number; readonly n: number }
  | { readonly op: 'read'; readonly doc: number }
  | { readonly op: 'reopen' }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('create' as const), n: fc.nat(100) }),
  fc.record({ op: fc.constant('change' as const), doc: fc.nat(), n: fc.nat(100) }),
  fc.record({ op: fc.constant('delete' as const), doc: fc.nat() }),
  fc.record({ op: fc.constant('snapshot' as const), doc: fc.nat() }),
  fc.record({ op: fc.constant('received' as const), doc: fc.nat(), n: fc.nat(100) }),
  fc.record({ op: fc.constant('read' as const), doc: fc.nat() }),
  fc.constant({ op: 'reopen' as const }),
)

describe('lazy and eager databases agree', () => {
  it('for random writes, received changes, evictions and reopens, every read equals an eager open', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
        const first = await setup(2)
        const factory = first.factory
        let { tenant, db } = first
        // A second writer over the same store: what it writes reaches `db` as received entries.
        const peer = await reopen(factory, 100)
        const ids: DocId[] = [(await db.createDocument({ data: { n: -1 } })).getId()]
        const live = async (i: number) => {
          const id = ids[i % ids.length]!
          return (await db.getDocumentStatus(id)) === 'ready' ? id : undefined
        }
        for (const o of ops) {
          if (o.op === 'create') ids.push((await db.createDocument({ data: { n: o.n } })).getId())
          else if (o.op === 'reopen') {
            await tenant.close()
            ;({ tenant, db } = await reopen(factory, 2))
          } else if (o.op === 'read') await db.getDocument(ids[o.doc % ids.length]!)
          else {
            const id = await live(o.doc)
            if (!id) continue
            if (o.op === 'change') await db.changeDoc(id, (d) => void (d.getData().n = o.n))
            else if (o.op === 'delete') await db.deleteDocument(id)
            else if (o.op === 'snapshot') await db.snapshot(id)
            else {
              await peer.db.syncStoreChanges([])
              if ((await peer.db.getDocumentStatus(id)) !== 'ready') continue
              await peer.db.changeDoc(id, (d) => void (d.getData().peer = o.n))
              await db.syncStoreChanges([]) // waits for the received entry to be materialised
            }
          }
          expect(db.cacheStats().materialised).toBeLessThanOrEqual(2)
        }
        const lazy = await view(db)
        await tenant.close()
        await peer.tenant.close()
        // The lazy database's index reopened, then compared with an eager open of the same store.
        const again = await reopen(factory, 2)
        expect(await view(again.db)).toEqual(lazy)
        expect(lazy).toEqual(await eagerView(factory))
        await again.tenant.close()
      }),
      { numRuns: 25 },
    )
  }, 120_000)
})

describe('attachments in a database that materialises on demand', () => {
  it('reads every attachment and its document after a reopen from the index, with documents evicted between reads', async () => {
    const { factory, tenant, db } = await setup(2)
    const small = { min: 256, avg: 1024, max: 4096 }
    const files: Record<string, Uint8Array> = {}
    for (let i = 0; i < 5; i++) {
      const doc = await db.createDocument({ data: { title: `file ${i}` } })
      const bytes = new Uint8Array(20_000 + i * 1_000).map((_, j) => (j * 31 + i * 7) % 251)
      await db.changeDoc(doc, (d) => d.addAttachment('body.bin', bytes, { chunkSizes: small }))
      files[doc.getId()] = bytes
    }
    const before = await view(db)
    await tenant.close()

    const again = await reopen(factory, 2)
    expect(again.db.cacheStats()).toMatchObject({ opened: 'current', materialised: 0 })
    for (const [id, bytes] of Object.entries(files)) {
      const doc = (await again.db.getDocument(id as DocId))!
      expect(await doc.getAttachment('body.bin')).toEqual(bytes)
      expect(again.db.cacheStats().materialised).toBeLessThanOrEqual(2)
    }
    expect(again.db.cacheStats().evictions).toBeGreaterThan(0)
    // Chunks were never taken for changes of their documents: every document reads as it did, and
    // every entry of the store, chunks included, stands as applied.
    expect(await view(again.db)).toEqual(before)
    const all = await again.db.getStore().getAllChangeHashes()
    const report = await again.db.syncStoreChanges(all)
    expect(report.rejected).toEqual([])
    expect(report.applied.length).toBe(all.length)
    await again.tenant.close()
  })
})
