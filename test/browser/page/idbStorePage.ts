/**
 * The IndexedDB test page: runs the core conformance suite against `IdbChangeStore` in the page
 * and offers the Node side (test/browser/idbStore.test.ts) the steps of its other checks.
 */
import {
  asChangeHash,
  isWeftError,
  ready,
  TenantFactory,
  TEST_KDF,
  type ChangeStore,
  type Database,
  type DocId,
  type Tenant,
} from '@weft/core'
import { fingerprintOf, type EntryEnvelope } from '@weft/core/backend'
import { EntryFactory, envelope, runChangeStoreTests } from '@weft/core/testing'
import { IdbStoreFactory } from '@weft/store-idb'
import { deleteDB } from 'idb'
import type { FailedAppend, IdbPageApi, StoreSnapshot } from './idbPageApi.ts'
import { runCollectedTests } from './vitestInPage.ts'
import { idbConformanceHarness } from '../../../packages/store-idb/test/conformanceHarness.ts'
import { writeOldLayout } from '../../../packages/store-idb/test/oldLayouts.ts'

runChangeStoreTests('IdbChangeStore (Chromium)', idbConformanceHarness, { persistent: true, restore: true })

const factories = new Set<IdbStoreFactory | TenantFactory>()
let listening: { store: ChangeStore; heard: string[] } | undefined
let tenant: { tenant: Tenant; db: Database; changed: Set<string> } | undefined

async function openStore(database: string, store: string): Promise<ChangeStore> {
  const factory = new IdbStoreFactory({ name: database })
  factories.add(factory)
  return factory.openChangeStore(store)
}

async function snapshot(store: ChangeStore): Promise<StoreSnapshot> {
  return { hashes: await store.getAllChangeHashes(), head: await store.head() }
}

type Write = IDBObjectStore['add']

/** Appends `batch` with `IDBObjectStore.prototype[method]` replaced by `write` for the duration. */
async function appendWith(
  store: ChangeStore,
  batch: EntryEnvelope[],
  method: 'add' | 'put',
  write: (original: Write, self: IDBObjectStore, args: Parameters<Write>, call: number) => IDBRequest,
): Promise<string> {
  const original = IDBObjectStore.prototype[method]
  let calls = 0
  IDBObjectStore.prototype[method] = function (this: IDBObjectStore, ...args: Parameters<Write>) {
    return write(original, this, args, ++calls)
  }
  try {
    await store.appendMany(batch)
    return 'none'
  } catch (err) {
    return isWeftError(err) ? err.code : `not a WeftError: ${String(err)}`
  } finally {
    IDBObjectStore.prototype[method] = original
  }
}

async function failedAppend(
  database: string,
  fail: (store: ChangeStore, batch: EntryEnvelope[]) => Promise<string>,
): Promise<FailedAppend> {
  const store = await openStore(database, 'tenant/db')
  const fx = new EntryFactory()
  await store.appendMany(fx.entries(3).map(envelope))
  const batch = fx.entries(5).map(envelope)
  const before = await snapshot(store)
  const code = await fail(store, batch)
  const after = await snapshot(store)
  const kept = (await store.has(batch.map((e) => e.hash))).filter(Boolean).length
  const readable = (await store.getChanges(before.hashes.map(asChangeHash))).length
  const retried = (await store.appendMany(batch)).added.length === batch.length
  return { code, keptOfFailedBatch: kept, before, after, retried, readable, batchesBeforeFailure: 0 }
}

const api: IdbPageApi = {
  runConformance: () => runCollectedTests(),

  async writeEntries(database, name, count) {
    const store = await openStore(database, name)
    await store.appendMany(new EntryFactory().entries(count).map(envelope))
    return snapshot(store)
  },

  async readEntries(database, name) {
    const store = await openStore(database, name)
    const state = await snapshot(store)
    const held = await store.getChanges(state.hashes.map(asChangeHash))
    const again = await store.appendMany(held)
    return { ...state, verified: again.existing.length }
  },

  async listen(database, name) {
    const store = await openStore(database, name)
    const heard: string[] = []
    store.subscribe((added) => heard.push(...added))
    listening = { store, heard }
  },

  async heard() {
    if (!listening) throw new Error('listen() first')
    const { store, heard } = listening
    const readable = heard.length ? (await store.getChanges(heard.map(asChangeHash))).length : 0
    return { hashes: [...heard], readable }
  },

  async openTenant(database, tenantId, create) {
    const factory = new TenantFactory({ storeFactory: new IdbStoreFactory({ name: database }), kdf: TEST_KDF })
    factories.add(factory)
    const t = create
      ? await factory.createTenant({ tenantId, password: 'correct horse' })
      : await factory.openTenant(tenantId, { password: 'correct horse' })
    const db = await t.openDB('notes')
    const changed = new Set<string>()
    db.on('docs-changed', ({ docIds }) => docIds.forEach((id) => changed.add(id)))
    tenant = { tenant: t, db, changed }
  },

  async createDocument(data) {
    if (!tenant) throw new Error('openTenant() first')
    return (await tenant.db.createDocument({ data })).getId()
  },

  async waitForDocument(id, timeoutMs) {
    if (!tenant) throw new Error('openTenant() first')
    const deadline = performance.now() + timeoutMs
    while (!tenant.changed.has(id)) {
      if (performance.now() > deadline) throw new Error(`document ${id} did not arrive in ${timeoutMs} ms`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return { ...(await tenant.db.getDocument(id as DocId))?.getData() }
  },

  async upgradeOldLayout(database, version, count) {
    const fx = new EntryFactory(7)
    const es = fx.entries(count)
    await writeOldLayout(database, version, { 'tenant/db': es })
    const store = await openStore(database, 'tenant/db')
    const page = await store.scan(null, { limit: count + 10 })
    let docsMatching = 0
    for (const docId of fx.docIds) {
      const want = es.filter((e) => e.header.docId === docId).map((e) => e.hash)
      if (JSON.stringify(await store.getAllChangeHashesForDoc(docId)) === JSON.stringify(want)) docsMatching++
    }
    const sorted = es.map((e) => e.hash).sort()
    const ranges = [
      { lower: '', upper: null },
      { lower: sorted[3]!, upper: sorted[count - 3]! },
      { lower: '4', upper: 'c' },
      { lower: sorted[7]!.slice(0, 2), upper: sorted[7]!.slice(0, 3) },
    ]
    let fingerprintsMatching = 0
    for (const range of ranges) {
      const inside = sorted.filter((h) => h >= range.lower && (range.upper === null || h < range.upper))
      if (JSON.stringify(await store.fingerprint(range)) === JSON.stringify(fingerprintOf(inside)))
        fingerprintsMatching++
    }
    const head = await store.head()
    await store.appendMany([envelope(new EntryFactory().entry())])
    return {
      written: es.map((e) => e.hash),
      scanned: page.entries.map((e) => e.hash),
      seqs: page.entries.map((e) => e.seq),
      head,
      docsMatching,
      docs: fx.docIds.length,
      fingerprintsMatching,
      ranges: ranges.length,
      nextSeq: (await store.head()).seq,
    }
  },

  failWithThrownQuotaError: (database) =>
    failedAppend(database, (store, batch) =>
      appendWith(store, batch, 'add', (add, self, args, call) => {
        if (call === 4) throw new DOMException('the origin is over its quota', 'QuotaExceededError')
        return add.apply(self, args)
      }),
    ),

  failWithAbortedTransaction: (database) =>
    failedAppend(database, (store, batch) =>
      appendWith(store, batch, 'put', (put, self, args, call) => {
        const request = put.apply(self, args)
        if (call === 4) self.transaction.abort()
        return request
      }),
    ),

  async fillUntilQuota(database, entryBytes, batchSize, maxBatches) {
    const store = await openStore(database, 'tenant/db')
    const fx = new EntryFactory()
    const make = () => Array.from({ length: batchSize }, (_, i) => envelope(fx.entry(i, [], entryBytes)))
    for (let n = 0; n < maxBatches; n++) {
      const batch = make()
      const before = await snapshot(store)
      let code = 'none'
      try {
        await store.appendMany(batch)
      } catch (err) {
        code = isWeftError(err) ? err.code : `not a WeftError: ${String(err)}`
      }
      if (code === 'none') continue
      const after = await snapshot(store)
      const kept = (await store.has(batch.map((e) => e.hash))).filter(Boolean).length
      const readable = (await store.getChanges(before.hashes.map(asChangeHash))).length
      return { code, keptOfFailedBatch: kept, before, after, readable, batchesBeforeFailure: n }
    }
    const state = await snapshot(store)
    return {
      code: 'none',
      keptOfFailedBatch: 0,
      before: state,
      after: state,
      readable: 0,
      batchesBeforeFailure: maxBatches,
    }
  },

  async dispose(databases) {
    listening = undefined
    if (tenant) await tenant.tenant.close()
    tenant = undefined
    await Promise.all([...factories].map((f) => f.close()))
    factories.clear()
    await Promise.all(databases.map((d) => deleteDB(d)))
  },
}

await ready()
globalThis.weftIdbPage = api
