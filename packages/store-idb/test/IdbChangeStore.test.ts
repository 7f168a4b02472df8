import 'fake-indexeddb/auto'
import { ErrorCodes, fingerprintOf, isWeftError, ready, type ChangeHash } from '@weft/core/backend'
import { EntryFactory, envelope, runChangeStoreTests } from '@weft/core/testing'
import { IdbChangeStore, IdbStoreFactory, openWeftIdb } from '@weft/store-idb'
import { openDB } from 'idb'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { idbConformanceHarness } from './conformanceHarness.ts'

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
      // `add` writes the entries (thrown in the transaction's first pass), `put` their arrival records (thrown from a callback).
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

  it('builds the fingerprint index of a store written before it existed (a version 1 database)', async () => {
    const name = `v1-${++databases}`
    const es = new EntryFactory().entries(30)
    // The version 1 layout, written as that version did: entries, arrival records and meta, no index.
    const old = await openDB(name, 1, {
      upgrade(db) {
        db.createObjectStore('entries')
        db.createObjectStore('arrival', { keyPath: ['s', 'seq'] }).createIndex('byDoc', ['s', 'docId'])
        db.createObjectStore('meta')
        db.createObjectStore('records')
      },
    })
    const tx = old.transaction(['entries', 'arrival', 'meta'], 'readwrite')
    es.forEach((e, i) => {
      void tx.objectStore('entries').put(e.bytes, ['tenant/db', e.hash])
      void tx
        .objectStore('arrival')
        .put({ s: 'tenant/db', seq: i + 1, hash: e.hash, docId: e.header.docId, kind: e.header.kind })
    })
    void tx.objectStore('meta').put({ epoch: 'e1', seq: es.length }, 'tenant/db')
    await tx.done
    old.close()

    const store = await open(name)
    const sorted = es.map((e) => e.hash).sort()
    for (const range of [
      { lower: '', upper: null },
      { lower: sorted[3]!, upper: sorted[20]! },
      { lower: '4', upper: 'c' },
    ]) {
      const inside = sorted.filter((h) => h >= range.lower && (range.upper === null || h < range.upper))
      expect(await store.fingerprint(range)).toEqual(fingerprintOf(inside))
    }
    await store.appendMany(new EntryFactory().entries(3).map(envelope))
    expect(await store.fingerprint({ lower: '', upper: null })).toEqual(fingerprintOf(await store.getAllChangeHashes()))
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
