import * as A from '@automerge/automerge'
import { asDocId, MemoryStoreFactory, TenantFactory, TEST_KDF, type DocData, type DocId } from '@weft/core'
import { packValue, unpackValue } from '@weft/core/backend'
import {
  createEntry,
  decryptCommitted,
  encodeChangePayload,
  encodeSnapshotPayload,
  encryptCommitted,
  generateNonce,
  openTenantRecord,
} from './internals.ts'
import { fmtMs, fmtRatio, median, progress, timeMs, type Figure } from './report.ts'

/** Changes in the document's history, one size per row. */
const SIZES = [10, 1_000, 10_000] as const
/** Documents of each size, each read once, never loaded before: the samples of one median. */
const DOCS = 7
const PASSWORD = 'bench'
const TENANT = 'bench-view'
/** The view would be kept if it made a first read at least this much faster at every size. */
const KEEP_IF = 2

/** A document with `changes` changes: a counter, a status and a list that grows by one item a change. */
function history(changes: number): A.Doc<DocData> {
  let doc = A.from<DocData>({ n: 0, status: 'new', items: [] })
  for (let i = 0; i < changes; i++)
    doc = A.change(doc, (d) => {
      d.n = i
      d.status = i % 2 ? 'open' : 'closed'
      ;(d.items as unknown[]).push({ i, title: `item ${i}` })
    })
  return doc
}

interface SizeResult {
  readonly changes: number
  /** Median ms of `getDocument` of a document never loaded in this process, from its snapshot, then reading its value. */
  readonly readMs: number
  /** Median ms of decrypting the snapshot and `Automerge.load` of its save: what a view skips. */
  readonly loadMs: number
  /** Median ms of decrypting and decoding a stored current value: what a view costs to read. */
  readonly viewMs: number
  /** Median ms of making the view when a snapshot is written: `toJS`, pack, encrypt. */
  readonly writeMs: number
  readonly saveBytes: number
  readonly viewBytes: number
}

/**
 * The `view` group: would storing a document's current value beside its snapshot pay? For each
 * size, documents of that many changes are stored as a create entry plus a snapshot covering it
 * (the case a view serves: nothing after the snapshot), and the first `getDocument` of each in a
 * freshly opened database is timed; beside it, on the same bytes, the part of that read a view
 * would replace (decrypt the snapshot and `Automerge.load` it) and what reading a view costs
 * instead (decrypt and decode the value), and what making one costs at each snapshot.
 */
export async function benchCurrentValueView(): Promise<Figure[]> {
  const results: SizeResult[] = []
  for (const changes of SIZES) results.push(await measureSize(changes))
  const gains = results.map((r) => r.readMs / Math.max(1e-3, r.readMs - r.loadMs + r.viewMs))
  const pays = gains.every((g) => g >= KEEP_IF)
  return results.map((r, i) => ({
    name: `view: first read of a ${r.changes.toLocaleString('en-US')}-change document, with a current-value view (estimated)`,
    value: fmtMs(r.readMs - r.loadMs + r.viewMs),
    reference: `${fmtMs(r.readMs)} without (measured)`,
    ratio: gains[i]!,
    target: `>= ${KEEP_IF.toFixed(2)}x at every size to keep it`,
    met: pays,
    notes: [
      `getDocument of a never-loaded document from its snapshot, median of ${DOCS}: ${fmtMs(r.readMs)}; of it, decrypt + Automerge.load of the ${(r.saveBytes / 1e3).toFixed(1)} KB save: ${fmtMs(r.loadMs)}`,
      `a view instead: decrypt + decode of the ${(r.viewBytes / 1e3).toFixed(1)} KB value ${fmtMs(r.viewMs)}; making it at each snapshot (toJS, pack, encrypt) ${fmtMs(r.writeMs)}, and each snapshot entry ${fmtRatio((r.saveBytes + r.viewBytes) / r.saveBytes)} its size; the first change or merge after a view read still needs the load`,
      `a view serves only a document whose newest entry is its snapshot: one written to since (snapshots come every 500 local changes) has up to 499 entries after it, which need the Automerge document anyway`,
    ],
  }))
}

async function measureSize(changes: number): Promise<SizeResult> {
  progress(`view: documents of ${changes.toLocaleString('en-US')} changes`)
  const storeFactory = new MemoryStoreFactory()
  const factory = new TenantFactory({ storeFactory, kdf: TEST_KDF })
  const tenant = await factory.createTenant({ tenantId: TENANT, password: PASSWORD })
  const records = await storeFactory.openKeyValueStore('weft-tenants')
  const { record } = openTenantRecord((await records.get(`tenant/${TENANT}`))!, PASSWORD)
  const key = tenant.keyBag.current('default')
  const store = await storeFactory.openChangeStore(`${TENANT}/docs`)
  const am = history(changes)
  const save = A.save(am)
  const payload = encodeChangePayload(A.getAllChanges(am))
  const ids: DocId[] = []
  for (let j = 0; j < DOCS; j++) {
    const docId = asDocId(j.toString(16).padStart(32, '0'))
    const common = {
      docId,
      origin: { tenant: tenant.id, db: 'docs' as never },
      keyId: 'default' as never,
      keyVersion: key.version,
      key: key.key,
      author: record.identity.signing,
    }
    const created = createEntry({ ...common, kind: 'create', deps: [], payload })
    const snapshot = createEntry({
      ...common,
      kind: 'snapshot',
      deps: [created.hash],
      payload: encodeSnapshotPayload(save, [created.hash]),
    })
    await store.appendMany([created, snapshot])
    ids.push(docId)
  }
  await tenant.openDB('docs') // builds the index: the next open materialises nothing
  await tenant.close()

  const expected = JSON.stringify(A.toJS(am))
  const again = await factory.openTenant(TENANT, { password: PASSWORD })
  const db = await again.openDB('docs', { cacheSize: DOCS + 1 })
  if (db.cacheStats().materialised !== 0) throw new Error('documents were materialised at open')
  const reads: number[] = []
  for (const id of ids) {
    let json = ''
    reads.push(await timeMs(async () => (json = JSON.stringify((await db.getDocument(id))!.getData()))))
    if (json !== expected) throw new Error('the document read differs from the one written')
  }
  await again.close()
  await factory.close()

  // The same bytes, in this process: the part of the read a view replaces, and what it costs instead.
  const secret = key.key
  const sealed = (plain: Uint8Array) => {
    const nonce = generateNonce()
    return { nonce, box: encryptCommitted(plain, secret, nonce, new Uint8Array()) }
  }
  const open = (s: { nonce: Uint8Array; box: Uint8Array }) =>
    decryptCommitted(s.box, secret, s.nonce, new Uint8Array())!
  const sealedSave = sealed(save)
  const loads: number[] = []
  const views: number[] = []
  const writes: number[] = []
  let viewBytes = 0
  for (let i = 0; i < DOCS; i++) {
    loads.push(await timeMs(() => A.free(A.load(open(sealedSave)))))
    let sealedView = sealed(new Uint8Array())
    writes.push(
      await timeMs(() => {
        const packed = packValue(A.toJS(am))
        viewBytes = packed.length
        sealedView = sealed(packed)
      }),
    )
    views.push(await timeMs(() => JSON.stringify(unpackValue(open(sealedView), Number.MAX_SAFE_INTEGER))))
  }
  A.free(am)
  return {
    changes,
    readMs: median(reads),
    loadMs: median(loads),
    viewMs: median(views),
    writeMs: median(writes),
    saveBytes: save.length,
    viewBytes,
  }
}
