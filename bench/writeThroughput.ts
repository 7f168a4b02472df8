import * as A from '@automerge/automerge'
import {
  asDbName,
  asDocId,
  DEFAULT_KEY_ID,
  MemoryStoreFactory,
  TenantFactory,
  TEST_KDF,
  type ChangeHash,
  type Database,
  type DocData,
  type Origin,
  type Tenant,
} from '@weft/core'
import { createEntry } from '@weft/core/backend'
import { encodeChangePayload, generateSigningKeyPair } from './internals.ts'
import { fmtRate, fmtRatio, median, progress, settle, timeMs, type Figure } from './report.ts'

const CHANGES = 3_000
const WARMUP = 300
const RUNS = 3
/** Writes to one document in the history run, timed in four equal parts. */
const HISTORY = 12_000
const TARGET = 0.6
const STATUSES = ['pending', 'paid', 'shipped', 'delivered'] as const

/** The edit both sides make: two fields of a small order document. */
function edit(d: DocData, i: number): void {
  d.n = i
  d.status = STATUSES[i % STATUSES.length]
}

/**
 * Changes/s through `db.changeDoc` on one document (memory store, default options, so the
 * periodic snapshot is included) against the same pipeline done by hand in the same process:
 * Automerge change, payload encoding, and `createEntry` (encrypt, sign, hash).
 */
export async function benchWriteThroughput(): Promise<Figure> {
  const factory = new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF })
  const tenant = await factory.createTenant({ tenantId: 'bench-writer', password: 'bench' })
  const db = await tenant.openDB('writes')

  await engineRun(db, WARMUP)
  rawRun(tenant, WARMUP)

  const engine: number[] = []
  const raw: number[] = []
  for (let run = 0; run < RUNS; run++) {
    await settle()
    engine.push(await engineRun(db, CHANGES))
    await settle()
    raw.push(rawRun(tenant, CHANGES))
    progress(
      `write run ${run + 1}/${RUNS}: changeDoc ${fmtRate(engine[run]!, 'change')}, raw ${fmtRate(raw[run]!, 'change')}`,
    )
  }
  await settle()
  const history = await historyRun(db, HISTORY)
  await factory.close()

  const e = median(engine)
  const r = median(raw)
  return {
    name: '1. local write throughput (changeDoc, memory store)',
    value: fmtRate(e, 'change'),
    reference: `${fmtRate(r, 'change')} raw pipeline`,
    ratio: e / r,
    target: `>= ${TARGET.toFixed(2)}`,
    met: e / r >= TARGET,
    notes: [
      `${CHANGES.toLocaleString('en-US')} changes to one document per run, median of ${RUNS}; engine ${(1e6 / e).toFixed(0)} µs/change, raw ${(1e6 / r).toFixed(0)} µs/change`,
      `engine runs: ${engine.map((x) => fmtRate(x, 'change')).join(', ')}; raw runs: ${raw.map((x) => fmtRate(x, 'change')).join(', ')}`,
      `the engine also appends to the store (hash + parse check) and writes a snapshot every 500 changes (default), ratio ${fmtRatio(e / r)}`,
      `one document written ${HISTORY.toLocaleString('en-US')} times, µs per change over each ${(HISTORY / 4).toLocaleString('en-US')}: ${history.map((us) => us.toFixed(0)).join(', ')} (the entry, its append and the summary cost the same at any length of history; the snapshot every 500 changes saves the whole document, the one part that grows with it)`,
    ],
  }
}

/** µs per `changeDoc` over each quarter of `count` sequential calls on a fresh document. */
async function historyRun(db: Database, count: number): Promise<number[]> {
  const doc = await db.createDocument({ data: { n: 0, status: 'new' } })
  const quarter = count / 4
  const out: number[] = []
  for (let part = 0; part < 4; part++) out.push((await writesMs(db, doc, part * quarter, quarter)) * (1000 / quarter))
  return out
}

/** changes/s for `count` sequential `changeDoc` calls on a fresh document. */
async function engineRun(db: Database, count: number): Promise<number> {
  const doc = await db.createDocument({ data: { n: 0, status: 'new' } })
  return (count / (await writesMs(db, doc, 0, count))) * 1000
}

/** Milliseconds of `count` sequential `changeDoc` calls on `doc`, the edits numbered from `from`. */
function writesMs(
  db: Database,
  doc: Parameters<Database['changeDoc']>[0],
  from: number,
  count: number,
): Promise<number> {
  return timeMs(async () => {
    for (let i = from; i < from + count; i++) await db.changeDoc(doc, (draft) => edit(draft.getData(), i))
  })
}

/** changes/s for the same work done by hand: change, encode, createEntry, chaining deps. */
function rawRun(tenant: Tenant, count: number): number {
  const key = tenant.keyBag.current(DEFAULT_KEY_ID)
  const author = generateSigningKeyPair()
  const origin: Origin = { tenant: tenant.id, db: asDbName('writes') }
  const docId = asDocId(
    Array.from(globalThis.crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join(''),
  )
  let am = A.change(A.init<DocData>(), (d) => void Object.assign(d, { n: 0, status: 'new' }))
  let deps: ChangeHash[] = []
  const start = performance.now()
  for (let i = 0; i < count; i++) {
    am = A.change(am, (d) => edit(d, i))
    const entry = createEntry({
      kind: 'change',
      docId,
      origin,
      deps,
      keyId: DEFAULT_KEY_ID,
      keyVersion: key.version,
      key: key.key,
      payload: encodeChangePayload([A.getLastLocalChange(am)!]),
      author,
    })
    deps = [entry.hash]
  }
  const ms = performance.now() - start
  A.free(am)
  return (count / ms) * 1000
}
