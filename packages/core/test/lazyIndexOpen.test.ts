import fc from 'fast-check'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import {
  asDbName,
  asDocId,
  asTenantId,
  ErrorCodes,
  MemoryStoreFactory,
  ready,
  TenantFactory,
  TEST_KDF,
  type DocId,
  type Tenant,
} from '../src/index.ts'
import { MemoryKeyValueStore, type KeyValueStore } from '../src/backend.ts'
import { DocIndex } from '../src/db/DocIndex.ts'
import { DocState } from '../src/db/DocState.ts'

beforeAll(ready)

const PASSWORD = 'pw'

/** A tenant `acme` whose database `notes` holds `texts.length` documents, one text each; the tenant is closed. */
async function written(texts: readonly string[]) {
  const storeFactory = new MemoryStoreFactory()
  const factory = new TenantFactory({ storeFactory, kdf: TEST_KDF })
  const tenant = await factory.createTenant({ tenantId: 'acme', password: PASSWORD })
  const db = await tenant.openDB('notes')
  const ids: DocId[] = []
  for (const text of texts) ids.push((await db.createDocument({ data: { text } })).getId())
  await tenant.close()
  return { storeFactory, factory, ids }
}

describe('opening reads the index header only', () => {
  it('reads the same few index records at open for 5 documents as for 40, no summary until a document is used, and no write for a read', async () => {
    const reads = async (count: number) => {
      const { storeFactory, factory, ids } = await written(Array.from({ length: count }, (_, i) => `note ${i}`))
      const kv = await storeFactory.openKeyValueStore('weft-db-index')
      const get = vi.spyOn(kv, 'get')
      const keys = vi.spyOn(kv, 'keys')
      const entries = vi.spyOn(kv, 'entries')
      const put = vi.spyOn(kv, 'put')
      const tenant = await factory.openTenant('acme', { password: PASSWORD })
      const db = await tenant.openDB('notes')
      const atOpen = { get: get.mock.calls.length, keys: keys.mock.calls.length, entries: entries.mock.calls.length }
      expect(db.cacheStats()).toMatchObject({ opened: 'current', documents: count, materialised: 0 })
      expect((await db.getDocument(ids[count - 1]!))!.getData()).toEqual({ text: `note ${count - 1}` })
      // One more summary read for the document used, and nothing written: it read as its summary says.
      expect(get.mock.calls.length).toBe(atOpen.get + 1)
      expect(put).not.toHaveBeenCalled()
      await tenant.close()
      return atOpen
    }
    const small = await reads(5)
    expect(small).toEqual(await reads(40))
    expect(small.get).toBeLessThanOrEqual(1)
    expect(small.keys + small.entries).toBe(0)
  })

  it('lists every document, with the ones written since open, none twice and none materialised', async () => {
    const { factory, ids } = await written(Array.from({ length: 12 }, (_, i) => `n${i}`))
    const tenant = await factory.openTenant('acme', { password: PASSWORD })
    const db = await tenant.openDB('notes', { cacheSize: 2 })
    await db.deleteDocument(ids[7]!)
    const added = (await db.createDocument({ data: { text: 'new' } })).getId()
    const listed = await db.getAllDocumentIds()
    expect(listed.sort()).toEqual([...ids.filter((_, i) => i !== 7), added].sort())
    const infos = await db.listDocuments()
    expect(infos.map((i) => i.id).sort()).toEqual([...ids, added].sort())
    expect(infos.find((i) => i.id === ids[7])!.status).toBe('deleted')
    expect(db.cacheStats()).toMatchObject({ documents: 13 })
    expect(db.cacheStats().materialised).toBeLessThanOrEqual(2)
    await tenant.close()
  })

  it('reads back exactly the stored summaries of any ids asked, in any order and number', async () => {
    const kv = new MemoryKeyValueStore()
    const own = { tenant: asTenantId('acme'), db: asDbName('notes') }
    const index = new DocIndex({ kv, prefix: 'acme/notes/dev/', key: new Uint8Array(32).fill(7) }, own)
    const id = (i: number) => asDocId(i.toString(16).padStart(32, '0'))
    const states = Array.from({ length: 150 }, (_, i) => {
      const s = new DocState(id(i), false)
      s.deleted = i % 3 === 0
      return s
    })
    await index.writeSummaries(states)
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(299), { maxLength: 200 }), async (asked) => {
        const got = await index.readSummaries(asked.map(id))
        const want = [...new Set(asked.filter((i) => i < 150))]
        expect([...got.keys()].sort()).toEqual(want.map(id).sort())
        for (const i of want) expect(got.get(id(i))).toMatchObject({ id: id(i), deleted: i % 3 === 0 })
      }),
      { numRuns: 30 },
    )
  })

  it('encrypts each summary of a batch under a nonce of its own, across batches too', async () => {
    const kv = new MemoryKeyValueStore()
    const own = { tenant: asTenantId('acme'), db: asDbName('notes') }
    const index = new DocIndex({ kv, prefix: 'acme/notes/dev/', key: new Uint8Array(32).fill(7) }, own)
    const ids = Array.from({ length: 40 }, (_, i) => asDocId(i.toString(16).padStart(32, '0')))
    await index.writeSummaries(ids.slice(0, 30).map((id) => new DocState(id, false)))
    await index.writeSummaries(ids.slice(20).map((id) => new DocState(id, true)))
    const nonces: string[] = []
    for (const key of await kv.keys('acme/notes/dev/'))
      nonces.push(Buffer.from((await kv.get(key))!.subarray(0, 24)).toString('hex'))
    expect(nonces).toHaveLength(40)
    expect(new Set(nonces).size).toBe(40)
    const pages: DocId[] = []
    for await (const page of index.summaryPages(100)) pages.push(...page.map(([id]) => id))
    expect(pages).toEqual(ids)
  })

  it('pages through stored summaries in key order, each once, with a store that has no paged read too', async () => {
    const kv = new MemoryKeyValueStore()
    const own = { tenant: asTenantId('acme'), db: asDbName('notes') }
    const index = new DocIndex({ kv, prefix: 'acme/notes/dev/', key: new Uint8Array(32).fill(7) }, own)
    const ids = Array.from({ length: 25 }, (_, i) => asDocId(i.toString(16).padStart(32, '0')))
    await index.writeSummaries(ids.map((id) => new DocState(id, false)))
    await kv.put('acme/notes/dev/t', new Uint8Array(1)) // a key after the summaries' prefix
    const paged = async (store: KeyValueStore) => {
      const pages: DocId[][] = []
      const over = new DocIndex({ kv: store, prefix: 'acme/notes/dev/', key: new Uint8Array(32).fill(7) }, own)
      for await (const page of over.summaryPages(7)) pages.push(page.map(([id]) => id))
      return pages
    }
    const pages = await paged(kv)
    expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 4])
    expect(pages.flat()).toEqual(ids)
    const plain: KeyValueStore = {
      get: (k) => kv.get(k),
      put: (k, v) => kv.put(k, v),
      delete: (k) => kv.delete(k),
      keys: (p) => kv.keys(p),
      close: () => kv.close(),
    }
    expect(await paged(plain)).toEqual(pages)
  })
})

describe('documents known only by their summary', () => {
  it('announce a change another writer makes to one, and read it', async () => {
    const { factory, ids } = await written(['a', 'b'])
    const tenant = await factory.openTenant('acme', { password: PASSWORD })
    const db = await tenant.openDB('notes')
    // The tenant opened again over the same storage: a second writer to the same store.
    const peer = await factory.openTenant('acme', { password: PASSWORD })
    const peerDb = await peer.openDB('notes')
    const changed = new Promise<DocId[]>((resolve) => db.on('docs-changed', (e) => resolve(e.docIds)))
    await peerDb.changeDoc(ids[1]!, (d) => void (d.getData().text = 'b2'))
    expect(await changed).toEqual([ids[1]])
    expect((await db.getDocument(ids[1]!))!.getData()).toEqual({ text: 'b2' })
    await peer.close()
    await tenant.close()
  })
})

describe('an index write cut short', () => {
  it('at any write of a rebuild or of a change, a reopen reads what an open without the index reads', async () => {
    const { storeFactory, factory, ids } = await written(Array.from({ length: 6 }, (_, i) => `n${i}`))
    const kv = await storeFactory.openKeyValueStore('weft-db-index')
    for (const k of await kv.keys('acme/')) await kv.delete(k)
    const read = async (db: Awaited<ReturnType<Tenant['openDB']>>) => {
      const out: Record<string, unknown> = {}
      for (const info of await db.listDocuments())
        out[info.id] = [info.status, (await db.getDocument(info.id))?.toJSON()]
      return out
    }
    let expected: Record<string, unknown> | undefined
    // The puts of one rebuild (six summaries and a header), then of a change (a summary and a header).
    for (let failAt = 0; failAt < 9; failAt++) {
      let puts = 0
      const put = vi.spyOn(kv, 'put').mockImplementation(async function (this: unknown, key, value) {
        if (puts++ === failAt) throw new Error('disk full')
        return MemoryKeyValueStore.prototype.put.call(kv, key, value)
      })
      const tenant = await factory.openTenant('acme', { password: PASSWORD })
      try {
        const db = await tenant.openDB('notes')
        await db.changeDoc(ids[failAt % ids.length]!, (d) => void (d.getData().text += '!'))
      } catch {
        // cut short: the open or the change failed part way through the index writes
      }
      await tenant.close()
      put.mockRestore()
      const again = await factory.openTenant('acme', { password: PASSWORD })
      const lazy = await read(await again.openDB('notes'))
      // Opened a second time while the first holds the index: materialised from the store alone.
      const eager = await factory.openTenant('acme', { password: PASSWORD })
      expect(lazy).toEqual(await read(await eager.openDB('notes')))
      expected ??= lazy
      expect(Object.keys(lazy).sort()).toEqual(Object.keys(expected).sort())
      await eager.close()
      await again.close()
    }
  })
})

describe('a byte bound on the cache', () => {
  it('keeps the estimated resident bytes within the bound across random reads and writes, and evicted documents read back right', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(3_000), { minLength: 2, maxLength: 10 }),
        fc.integer({ min: 200, max: 12_000 }),
        fc.array(fc.tuple(fc.nat(), fc.boolean()), { minLength: 1, maxLength: 20 }),
        async (sizes, bound, ops) => {
          const texts = sizes.map((n, i) => `${i}:`.padEnd(n + 2, String.fromCharCode(97 + (i % 26))))
          const { factory, ids } = await written(texts)
          const tenant = await factory.openTenant('acme', { password: PASSWORD })
          const db = await tenant.openDB('notes', { cacheSize: { bytes: bound } })
          const expected = [...texts]
          for (const [pick, write] of ops) {
            const i = pick % ids.length
            if (write) {
              await db.changeDoc(ids[i]!, (d) => void (d.getData().text += '+'))
              expected[i] += '+'
            }
            const doc = await db.getDocument(ids[i]!)
            expect(doc!.getData()).toEqual({ text: expected[i] })
            expect(db.cacheStats().bytes).toBeLessThanOrEqual(bound)
          }
          for (const [i, id] of ids.entries())
            expect((await db.getDocument(id))!.getData()).toEqual({ text: expected[i] })
          await tenant.close()
        },
      ),
      { numRuns: 10 },
    )
  }, 60_000)

  it('evicts by bytes before the count is reached and counts each document at about its change size', async () => {
    const { factory, ids } = await written(Array.from({ length: 6 }, (_, i) => `${i}`.repeat(2_000)))
    const tenant = await factory.openTenant('acme', { password: PASSWORD })
    const db = await tenant.openDB('notes', { cacheSize: { documents: 100, bytes: 5_000 } })
    for (const id of ids) await db.getDocument(id)
    const stats = db.cacheStats()
    expect(stats.materialised).toBe(2)
    expect(stats.bytes).toBeGreaterThan(2 * 2_000)
    expect(stats.bytes).toBeLessThanOrEqual(5_000)
    expect(stats.evictions).toBe(4)
    await tenant.close()
  })

  it('settles count and byte bounds across openDB calls, and refuses one that is not a positive number', async () => {
    const { factory } = await written([])
    const tenant = await factory.openTenant('acme', { password: PASSWORD })
    await tenant.openDB('notes', { cacheSize: { bytes: 1_000 } })
    await tenant.openDB('notes', { cacheSize: 5 }) // the count was not chosen yet
    await expect(tenant.openDB('notes', { cacheSize: { bytes: 2_000 } })).rejects.toMatchObject({
      code: ErrorCodes.DB_OPTIONS_CONFLICT,
    })
    await expect(tenant.openDB('notes', { cacheSize: 6 })).rejects.toMatchObject({
      code: ErrorCodes.DB_OPTIONS_CONFLICT,
    })
    await expect(tenant.openDB('other', { cacheSize: { bytes: -1 } })).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
    })
    await tenant.close()
  })
})
