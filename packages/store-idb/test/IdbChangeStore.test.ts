import 'fake-indexeddb/auto'
import { ErrorCodes, fingerprintOf, isWeftError, ready, type ChangeHash } from '@weft/core/backend'
import { EntryFactory, envelope, runChangeStoreTests } from '@weft/core/testing'
import { IdbChangeStore, IdbStoreFactory, openWeftIdb } from '@weft/store-idb'
import { openDB } from 'idb'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { idbConformanceHarness } from './conformanceHarness.ts'
import { writeOldLayout, writeVersion3Layout } from './oldLayouts.ts'

let databases = 0

runChangeStoreTests('IdbChangeStore (fake-indexeddb)', idbConformanceHarness, { persistent: true, restore: true })

describe('IdbChangeStore', () => {
  const factories: IdbStoreFactory[] = []
  const open = (name: string) => {
    const factory = new IdbStoreFactory({ name })
    factories.push(factory)
    return factory.openChangeStore('tenant/db')
  }

  beforeAll(() => ready())
  afterEach(async () => {
    await Promise.all(factories.splice(0).map((f) => f.close()))
  })

  it.each(['add', 'put'] as const)(
    'maps a QuotaExceededError (thrown by an entry %s) to WEFT_QUOTA_EXCEEDED and commits nothing of the batch',
    async (method) => {
      const store = await open(`quota-${++databases}`)
      const es = new EntryFactory().entries(6)
      await store.appendMany(es.slice(0, 2).map(envelope))
      const before = await store.head()
      // `add` writes the entries (thrown in the transaction's first pass), `put` the log, document, index and meta records (thrown from a callback).
      const restore = failNthCall(
        method,
        3,
        () => new DOMException('the origin is over its quota', 'QuotaExceededError'),
      )
      try {
        await expect(store.appendMany(es.slice(2).map(envelope))).rejects.toSatisfy((e) =>
          isWeftError(e, ErrorCodes.QUOTA_EXCEEDED),
        )
      } finally {
        restore()
      }
      expect(await store.head()).toEqual(before)
      expect(await store.has(es.slice(2).map((e) => e.hash))).toEqual([false, false, false, false])
      expect((await store.scan(null)).entries.map((e) => e.hash)).toEqual(es.slice(0, 2).map((e) => e.hash))
      const again = await store.appendMany(es.slice(2).map(envelope))
      expect(again.added).toEqual(es.slice(2).map((e) => e.hash))
      expect((await store.head()).seq).toBe(6)
    },
  )

  it('maps an aborted transaction to WEFT_STORAGE_ERROR and commits nothing', async () => {
    const store = await open(`abort-${++databases}`)
    const es = new EntryFactory().entries(4)
    const restore = abortOnPut(3)
    try {
      await expect(store.appendMany(es.map(envelope))).rejects.toSatisfy((e) =>
        isWeftError(e, ErrorCodes.STORAGE_ERROR),
      )
    } finally {
      restore()
    }
    expect((await store.head()).seq).toBe(0)
    expect(await store.getAllChangeHashes()).toEqual([])
  })

  it('fails with WEFT_STORAGE_ERROR when its connection was closed under it', async () => {
    const name = `closed-${++databases}`
    const db = await openWeftIdb(name)
    const store = await IdbChangeStore.open(db, 'tenant/db')
    db.close()
    await expect(store.append(envelope(new EntryFactory().entry()))).rejects.toSatisfy((e) =>
      isWeftError(e, ErrorCodes.STORAGE_ERROR),
    )
    await expect(store.head()).rejects.toSatisfy((e) => isWeftError(e, ErrorCodes.STORAGE_ERROR))
    await store.close()
  })

  it('numbers appends from two connections to one database without gaps or collisions', async () => {
    const name = `two-writers-${++databases}`
    const [a, b] = [await open(name), await open(name)]
    const fx = new EntryFactory()
    const pool = fx.entries(40)
    const batches = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => pool.filter((_, i) => i % 8 === k).map(envelope))
    // Every batch goes to both writers at once: each entry must still be held, and numbered, once.
    await Promise.all(
      batches.flatMap((batch, i) =>
        i % 2 ? [a.appendMany(batch), b.appendMany(batch)] : [b.appendMany(batch), a.appendMany(batch)],
      ),
    )
    for (const store of [a, b]) {
      const page = await store.scan(null, { limit: 1000 })
      expect(page.entries.map((e) => e.seq)).toEqual(pool.map((_, i) => i + 1))
      expect(new Set(page.entries.map((e) => e.hash))).toEqual(new Set(pool.map((e) => e.hash)))
      expect((await store.head()).count).toBe(40)
    }
    expect(await a.head()).toEqual(await b.head())
  })

  it("tells subscribers about another connection's appends", async () => {
    const name = `broadcast-${++databases}`
    const [a, b] = [await open(name), await open(name)]
    const heard = new Promise<readonly ChangeHash[]>((resolve) => b.subscribe(resolve))
    const es = new EntryFactory().entries(3)
    await a.appendMany(es.map(envelope))
    expect(await heard).toEqual(es.map((e) => e.hash))
    expect((await b.getChanges(es.map((e) => e.hash))).length).toBe(3)
  })

  it.each([1, 2] as const)(
    'upgrades a version %i database: same entries, arrival order, documents and fingerprints, numbering continues',
    async (version) => {
      const name = `v${version}-${++databases}`
      const fx = new EntryFactory(7)
      // More rows than one migrated log record holds, and a second store in the same database.
      const es = fx.entries(2_300)
      const other = fx.entries(5)
      await writeOldLayout(name, version, { 'tenant/db': es, 'tenant/other': other })

      const store = await open(name)
      const page = await store.scan(null, { limit: 10_000 })
      expect(page.entries.map((e) => e.seq)).toEqual(es.map((_, i) => i + 1))
      expect(page.entries.map((e) => e.hash)).toEqual(es.map((e) => e.hash))
      expect(page.entries.map((e) => e.docId)).toEqual(es.map((e) => e.header.docId))
      const mid = await store.scan({ epoch: 'e1', seq: 999 }, { limit: 3 })
      expect(mid.entries.map((e) => e.seq)).toEqual([1000, 1001, 1002])
      for (const docId of fx.docIds)
        expect(await store.getAllChangeHashesForDoc(docId)).toEqual(
          es.filter((e) => e.header.docId === docId).map((e) => e.hash),
        )
      expect(await store.head()).toEqual({ epoch: 'e1', seq: es.length, count: es.length })
      const sorted = es.map((e) => e.hash).sort()
      for (const range of [
        { lower: '', upper: null },
        { lower: sorted[3]!, upper: sorted[2_000]! },
        { lower: '4', upper: 'c' },
        { lower: sorted[7]!.slice(0, 3), upper: sorted[7]!.slice(0, 3) + 'g' },
      ]) {
        const inside = sorted.filter((h) => h >= range.lower && (range.upper === null || h < range.upper))
        expect(await store.fingerprint(range)).toEqual(fingerprintOf(inside))
      }
      const more = new EntryFactory().entries(3)
      await store.appendMany(more.map(envelope))
      expect((await store.scan({ epoch: 'e1', seq: es.length })).entries.map((e) => e.seq)).toEqual([
        es.length + 1,
        es.length + 2,
        es.length + 3,
      ])
      expect(await store.fingerprint({ lower: '', upper: null })).toEqual(
        fingerprintOf(await store.getAllChangeHashes()),
      )
      const factory = new IdbStoreFactory({ name })
      factories.push(factory)
      const second = await factory.openChangeStore('tenant/other')
      expect(await second.getAllChangeHashes()).toEqual(other.map((e) => e.hash))
    },
  )

  it("upgrades a version 3 database: each document's history is its old appends, then its new ones", async () => {
    const name = `v3-${++databases}`
    const fx = new EntryFactory(40)
    const es = Array.from({ length: 300 }, (_, i) => fx.entry(i % 40))
    const other = new EntryFactory(2).entries(4)
    await writeVersion3Layout(name, { 'tenant/db': es.slice(0, 200), 'tenant/other': other }, 50)

    const store = await open(name)
    const upgraded = await openWeftIdb(name)
    expect(upgraded.version).toBe(4)
    upgraded.close()
    for (const docId of fx.docIds)
      expect(await store.getAllChangeHashesForDoc(docId)).toEqual(
        es
          .slice(0, 200)
          .filter((e) => e.header.docId === docId)
          .map((e) => e.hash),
      )
    // The same documents again, 40 to an append: more than one group record each time.
    for (let i = 200; i < 300; i += 40) await store.appendMany(es.slice(i, i + 40).map(envelope))
    for (const docId of fx.docIds)
      expect(await store.getAllChangeHashesForDoc(docId)).toEqual(
        es.filter((e) => e.header.docId === docId).map((e) => e.hash),
      )
    expect((await store.scan(null, { limit: 1_000 })).entries.map((e) => e.hash)).toEqual(es.map((e) => e.hash))
    expect(await store.fingerprint({ lower: '', upper: null })).toEqual(fingerprintOf(es.map((e) => e.hash).sort()))
    const factory = new IdbStoreFactory({ name })
    factories.push(factory)
    const second = await factory.openChangeStore('tenant/other')
    expect(await second.getAllChangeHashesForDoc(other[0]!.header.docId)).toEqual(
      other.filter((e) => e.header.docId === other[0]!.header.docId).map((e) => e.hash),
    )
  })

  it('refuses to upgrade a database with a malformed arrival row, and leaves it as it was', async () => {
    const name = `v2-bad-${++databases}`
    await writeOldLayout(name, 2, { 'tenant/db': new EntryFactory().entries(4) }, { s: 'tenant/db', seq: 5 })
    const factory = new IdbStoreFactory({ name })
    factories.push(factory)
    await expect(factory.openChangeStore('tenant/db')).rejects.toSatisfy((e) =>
      isWeftError(e, ErrorCodes.STORAGE_ERROR),
    )
    const old = await openDB(name)
    expect(old.version).toBe(2)
    expect(await old.count('arrival')).toBe(5)
    old.close()
  })

  it('keeps stores of one database apart', async () => {
    const factory = new IdbStoreFactory({ name: `apart-${++databases}` })
    factories.push(factory)
    const [one, two] = [await factory.openChangeStore('t/one'), await factory.openChangeStore('t/two')]
    const es = new EntryFactory().entries(4)
    await one.appendMany(es.slice(0, 3).map(envelope))
    await two.appendMany(es.slice(2).map(envelope))
    expect(await one.getAllChangeHashes()).toEqual(es.slice(0, 3).map((e) => e.hash))
    expect(await two.getAllChangeHashes()).toEqual(es.slice(2).map((e) => e.hash))
    expect(await two.hashesInRange({ lower: '', upper: null })).toEqual(
      es
        .slice(2)
        .map((e) => e.hash)
        .sort(),
    )
    expect((await one.head()).epoch).not.toBe((await two.head()).epoch)
  })
})

/** Makes the `n`th `IDBObjectStore.prototype[method]` call from now throw `makeError()`; returns the undo. */
function failNthCall(method: 'add' | 'put', n: number, makeError: () => Error): () => void {
  const original = IDBObjectStore.prototype[method]
  let calls = 0
  IDBObjectStore.prototype[method] = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
    if (++calls === n) throw makeError()
    return original.apply(this, args)
  }
  return () => {
    IDBObjectStore.prototype[method] = original
  }
}

/** Aborts the transaction of the `n`th `IDBObjectStore.put` from now, after issuing it. */
function abortOnPut(n: number): () => void {
  const original = IDBObjectStore.prototype.put
  let calls = 0
  IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
    const request = original.apply(this, args)
    if (++calls === n) this.transaction.abort()
    return request
  }
  return () => {
    IDBObjectStore.prototype.put = original
  }
}
