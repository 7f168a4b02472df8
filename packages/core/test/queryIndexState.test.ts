import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  MemoryStoreFactory,
  ready,
  TenantFactory,
  TEST_KDF,
  type Database,
  type DocId,
  type IndexSpec,
  type Tenant,
} from '../src/index.ts'

beforeAll(ready)

const PASSWORD = 'pw'
const BY_STATUS: IndexSpec = { fields: ['status', 'n'] }
const BY_LABEL = {
  map: (d: Readonly<Record<string, unknown>>) => (typeof d.label === 'string' ? d.label.toLowerCase() : undefined),
  version: 'label/1',
} satisfies IndexSpec

async function setup(cacheSize = 4) {
  const storeFactory = new MemoryStoreFactory()
  const factory = new TenantFactory({ storeFactory, kdf: TEST_KDF })
  const tenant = await factory.createTenant({ tenantId: 'acme', password: PASSWORD })
  const db = await tenant.openDB('orders', { cacheSize })
  return { storeFactory, factory, tenant, db }
}

async function reopen(factory: TenantFactory, cacheSize = 4): Promise<{ tenant: Tenant; db: Database }> {
  const tenant = await factory.openTenant('acme', { password: PASSWORD })
  return { tenant, db: await tenant.openDB('orders', { cacheSize }) }
}

/** The stored query index states (record keys under `q/` of the database's index). */
async function stateKeys(storeFactory: MemoryStoreFactory): Promise<string[]> {
  const kv = await storeFactory.openKeyValueStore('weft-db-index')
  return (await kv.keys('acme/orders/')).filter((k) => k.includes('/q/'))
}

/**
 * Every row of an index, read through it: for each value its first key part can take, the
 * documents the index files under it (a range query on an index trusts the index's keys).
 */
async function throughIndex(db: Database, index: string) {
  const rows: string[] = []
  let examined = 0
  for (const v of ['a', 'b', 'c', 'B']) {
    const r = await db.query({ index, where: { key: v } })
    expect(r.usedIndex).toBe(index)
    rows.push(...r.docs.map((d) => `${d.id}=${v}`))
    examined += r.examined
  }
  return { rows: rows.sort(), examined }
}

/** The first key part the index should give a document. */
function keyOf(index: string, data: Record<string, unknown>): unknown {
  if (index.startsWith('byStatus')) return typeof data.n === 'number' ? data.status : undefined
  return BY_LABEL.map(data)
}

/** The same rows from the documents themselves. */
async function byHand(db: Database, index: string): Promise<string[]> {
  const rows: string[] = []
  for (const id of await db.getAllDocumentIds()) {
    const key = keyOf(index, (await db.getDocument(id))!.getData())
    if (typeof key === 'string') rows.push(`${id}=${key}`)
  }
  return rows.sort()
}

describe('query index states persisted, encrypted, beside the database index', () => {
  it('loads an index after a reopen without materialising any document, with the same results', async () => {
    const { storeFactory, factory, tenant, db } = await setup()
    for (let i = 0; i < 60; i++) await db.createDocument({ data: { status: ['open', 'paid'][i % 2]!, n: i } })
    expect(await db.createIndex('byStatus', BY_STATUS)).toMatchObject({ opened: 'rebuilt', read: 60, size: 60 })
    const before = await db.query({ where: { status: 'paid', n: { gte: 30 } } })
    await tenant.close()
    expect(await stateKeys(storeFactory)).toHaveLength(1)

    const again = await reopen(factory)
    expect(again.db.cacheStats()).toMatchObject({ opened: 'current', materialised: 0 })
    expect(await again.db.createIndex('byStatus', BY_STATUS)).toEqual({
      name: 'byStatus',
      opened: 'current',
      read: 0,
      size: 60,
    })
    expect(again.db.cacheStats()).toMatchObject({ materialised: 0, evictions: 0 })
    const after = await again.db.query({ where: { status: 'paid', n: { gte: 30 } } })
    expect(after).toEqual(before)
    expect(after.examined).toBe(30)
    await again.tenant.close()
  })

  it('reads again only the documents another writer changed while it was closed', async () => {
    const { factory, tenant, db } = await setup()
    const ids: DocId[] = []
    for (let i = 0; i < 20; i++) ids.push((await db.createDocument({ data: { status: 'open', n: i } })).getId())
    await db.createIndex('byStatus', BY_STATUS)
    const other = await reopen(factory, 100) // a second open of the storage: it holds no index
    await tenant.close()
    await other.db.changeDoc(ids[3]!, (d) => void (d.getData().status = 'paid'))
    await other.db.deleteDocument(ids[4]!)
    const added = await other.db.createDocument({ data: { status: 'paid', n: 99 } })
    await other.tenant.close()

    const again = await reopen(factory)
    const materialisedAtOpen = again.db.cacheStats().materialised
    const report = await again.db.createIndex('byStatus', BY_STATUS)
    expect(report).toMatchObject({ opened: 'caught-up', read: 2, size: 20 })
    expect(again.db.cacheStats().materialised).toBeLessThanOrEqual(materialisedAtOpen + 2)
    const paid = await again.db.query({ where: { status: 'paid' }, orderBy: 'n' })
    expect(paid.docs.map((d) => d.id)).toEqual([ids[3], added.getId()])
    expect(paid.examined).toBe(2)
    await again.tenant.close()
  })

  it('hears a change received for a document known only by its summary', async () => {
    const { factory, tenant, db } = await setup()
    const id = (await db.createDocument({ data: { status: 'open', n: 1 } })).getId()
    await db.createIndex('byStatus', BY_STATUS)
    await tenant.close()
    const again = await reopen(factory)
    const peer = await reopen(factory, 100) // a second open of the storage, writing to the same store
    await again.db.createIndex('byStatus', BY_STATUS)
    const seen: string[][] = []
    const stop = again.db.liveQuery({ where: { status: 'paid' } }, (r) => seen.push(r.docs.map((d) => d.id)))
    expect(again.db.cacheStats().materialised).toBe(0)
    await peer.db.changeDoc(id, (d) => void (d.getData().status = 'paid'))
    await again.db.syncStoreChanges([]) // waits for the received entry to be materialised
    const paid = await again.db.query({ where: { status: 'paid' } })
    expect(paid).toMatchObject({ usedIndex: 'byStatus', examined: 1 })
    expect(paid.docs.map((d) => d.id)).toEqual([id])
    await expect.poll(() => seen.at(-1)).toEqual([id])
    stop()
    await peer.tenant.close()
    await again.tenant.close()
  })

  it('stores the state again once 256 documents changed, without waiting for the close', async () => {
    const { storeFactory, tenant, db } = await setup()
    await db.createIndex('byStatus', BY_STATUS)
    const kv = await storeFactory.openKeyValueStore('weft-db-index')
    const [key] = await stateKeys(storeFactory)
    const empty = (await kv.get(key!))!.length
    for (let i = 0; i < 255; i++) await db.createDocument({ data: { status: 'open', n: i } })
    await db.query({ where: { status: 'open' } }) // every change heard is in the indexes
    expect((await kv.get(key!))!.length).toBe(empty)
    await db.createDocument({ data: { status: 'open', n: 255 } })
    await db.query({ where: { status: 'open' } })
    expect((await kv.get(key!))!.length).toBeGreaterThan(empty + 256 * 32)
    await tenant.close()
  })

  it('rebuilds a state that was deleted, tampered with, or made under another definition', async () => {
    const { storeFactory, factory, tenant, db } = await setup()
    for (let i = 0; i < 12; i++)
      await db.createDocument({ data: { status: 'open', n: i, label: ['a', 'B', 'c'][i % 3] } })
    await db.createIndex('byStatus', BY_STATUS)
    await db.createIndex('byLabel', BY_LABEL)
    const expected = await throughIndex(db, 'byLabel')
    expect(expected.rows).toHaveLength(12)
    await tenant.close()
    const kv = await storeFactory.openKeyValueStore('weft-db-index')
    const keys = await stateKeys(storeFactory)
    expect(keys).toHaveLength(2)
    const open = async (fn: (db: Database) => Promise<void>) => {
      const again = await reopen(factory)
      await fn(again.db)
      await again.tenant.close()
    }
    const both = async (db: Database) => [
      (await db.createIndex('byStatus', BY_STATUS)).opened,
      (await db.createIndex('byLabel', BY_LABEL)).opened,
    ]
    for (const k of keys) await kv.delete(k)
    await open(async (db) => {
      expect(await both(db)).toEqual(['rebuilt', 'rebuilt'])
      expect(await throughIndex(db, 'byLabel')).toEqual(expected)
    })
    // Written again at the rebuild: loaded next time.
    await open(async (db) => expect(await both(db)).toEqual(['current', 'current']))
    for (const k of keys) {
      const bytes = (await kv.get(k))!
      bytes[bytes.length - 5]! ^= 0x10
      await kv.put(k, bytes)
    }
    await open(async (db) => {
      expect(await both(db)).toEqual(['rebuilt', 'rebuilt'])
      expect(await throughIndex(db, 'byLabel')).toEqual(expected)
    })
    // One index's state moved under the other's record key is not taken for it.
    await kv.put(keys[0]!, (await kv.get(keys[1]!))!)
    await open(async (db) => {
      expect((await both(db)).sort()).toEqual(['current', 'rebuilt'])
      expect(await throughIndex(db, 'byLabel')).toEqual(expected)
    })
    // Another map version is another definition.
    await open(async (db) => {
      expect((await db.createIndex('byStatus', BY_STATUS)).opened).toBe('current')
      expect((await db.createIndex('byLabel', { ...BY_LABEL, version: 'label/2' })).opened).toBe('rebuilt')
    })
    // A dropped index leaves no state behind.
    await open(async (db) => {
      await db.createIndex('byLabel', BY_LABEL)
      expect(await db.dropIndex('byLabel')).toBe(true)
    })
    expect(await stateKeys(storeFactory)).toHaveLength(1)
  })

  it('stores no indexed value in the clear, and nothing in the change store', async () => {
    const { storeFactory, tenant, db } = await setup()
    const secret = 'Quillfeather-Umbrage-7731'
    for (let i = 0; i < 10; i++) await db.createDocument({ data: { status: `${secret}-${i}`, n: i } })
    const entries = (await db.getStore().getAllChangeHashes()).length
    await db.createIndex('byStatus', BY_STATUS)
    await db.createIndex(secret, { fields: ['n'] })
    expect((await db.query({ where: { status: `${secret}-3` } })).docs).toHaveLength(1)
    expect(await db.getStore().getAllChangeHashes()).toHaveLength(entries)
    await tenant.close()
    const kv = await storeFactory.openKeyValueStore('weft-db-index')
    const keys = await stateKeys(storeFactory)
    expect(keys).toHaveLength(2)
    const needle = Buffer.from('Quillfeather')
    for (const k of keys) {
      expect(k).not.toContain('Quillfeather')
      const bytes = Buffer.from((await kv.get(k))!)
      expect(bytes.length).toBeGreaterThan(100)
      expect(bytes.includes(needle)).toBe(false)
    }
  })
})

type Op =
  | { readonly op: 'create'; readonly status: string; readonly label: string }
  | { readonly op: 'change'; readonly doc: number; readonly status: string }
  | { readonly op: 'label'; readonly doc: number; readonly label: string | null }
  | { readonly op: 'delete'; readonly doc: number }
  | { readonly op: 'received'; readonly doc: number; readonly status: string }
  | { readonly op: 'reopen' }
  | { readonly op: 'crash' }

const word = fc.constantFrom('a', 'b', 'c', 'B')
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('create' as const), status: word, label: word }),
  fc.record({ op: fc.constant('change' as const), doc: fc.nat(), status: word }),
  fc.record({ op: fc.constant('label' as const), doc: fc.nat(), label: fc.option(word, { nil: null }) }),
  fc.record({ op: fc.constant('delete' as const), doc: fc.nat() }),
  fc.record({ op: fc.constant('received' as const), doc: fc.nat(), status: word }),
  fc.constant({ op: 'reopen' as const }),
  fc.constant({ op: 'crash' as const }),
)

describe('a loaded index equals one built from the documents', () => {
  it('for random writes, received changes, reopens and states left behind by a crash (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 20 }), async (ops) => {
        const { storeFactory, factory, tenant: t0, db: d0 } = await setup(3)
        let tenant = t0
        let db = d0
        const kv = await storeFactory.openKeyValueStore('weft-db-index')
        // A second writer over the same storage: what it writes reaches `db` as received entries.
        const peer = await reopen(factory, 100)
        const ids: DocId[] = [(await db.createDocument({ data: { status: 'a', label: 'a', n: 0 } })).getId()]
        await db.createIndex('byStatus', BY_STATUS)
        await db.createIndex('byLabel', BY_LABEL)
        /** The states as stored at the last clean close: what a crash after it leaves behind. */
        let saved: [string, Uint8Array][] = []
        const live = async (i: number) => {
          const id = ids[i % ids.length]!
          return (await db.getDocumentStatus(id)) === 'ready' ? id : undefined
        }
        const restart = async (crash: boolean) => {
          await tenant.close()
          if (crash) {
            for (const k of await stateKeys(storeFactory)) await kv.delete(k)
            for (const [k, v] of saved) await kv.put(k, v)
          } else
            saved = await Promise.all(
              (await stateKeys(storeFactory)).map(async (k) => [k, (await kv.get(k))!] as [string, Uint8Array]),
            )
          ;({ tenant, db } = await reopen(factory, 3))
          for (const [name, spec] of [
            ['byStatus', BY_STATUS],
            ['byLabel', BY_LABEL],
          ] as const) {
            const report = await db.createIndex(name, spec)
            if (!crash) expect(report).toMatchObject({ opened: 'current', read: 0 })
          }
        }
        for (const o of ops) {
          if (o.op === 'create')
            ids.push(
              (
                await db.createDocument({
                  data: { status: o.status, label: o.label, ...(o.label === 'B' ? {} : { n: ids.length }) },
                })
              ).getId(),
            )
          else if (o.op === 'reopen' || o.op === 'crash') await restart(o.op === 'crash')
          else {
            const id = await live(o.doc)
            if (!id) continue
            if (o.op === 'change') await db.changeDoc(id, (d) => void (d.getData().status = o.status))
            else if (o.op === 'label')
              await db.changeDoc(id, (d) => {
                if (o.label === null) delete d.getData().label
                else d.getData().label = o.label
              })
            else if (o.op === 'delete') await db.deleteDocument(id)
            else {
              await peer.db.syncStoreChanges([])
              if ((await peer.db.getDocumentStatus(id)) !== 'ready') continue
              await peer.db.changeDoc(id, (d) => void (d.getData().status = o.status))
              await db.syncStoreChanges([]) // waits for the received entry to be materialised
            }
          }
        }
        await restart(false)
        for (const [name, spec] of [
          ['byStatus', BY_STATUS],
          ['byLabel', BY_LABEL],
        ] as const) {
          const loaded = await throughIndex(db, name)
          const expected = await byHand(db, name)
          expect(loaded.rows).toEqual(expected)
          expect(loaded.examined).toBe(expected.length)
          // The same index built from the documents, under a name no state is stored for.
          expect(await db.createIndex(`${name}-fresh`, spec)).toMatchObject({ opened: 'rebuilt' })
          expect(await throughIndex(db, `${name}-fresh`)).toEqual(loaded)
        }
        await tenant.close()
        await peer.tenant.close()
      }),
      { numRuns: 25 },
    )
  }, 120_000)
})
