import {
  DIRECTORY_DB,
  MemoryStoreFactory,
  syncDatabases,
  TenantFactory,
  TEST_KDF,
  type DocData,
  type DocId,
  type Tenant,
} from '@weft/core'
import * as A from '@automerge/automerge'
import { planApply } from './internals.ts'
import { fmtMs, measure, median, progress, settle, type Figure } from './report.ts'

const DOCS = 1_000
const CHANGES = 10
const RUNS = 3
const PASSWORD = 'bench'

/**
 * What applying received changes to documents a database already holds costs, by who wrote them:
 * 1,000 documents x 10 changes from one author (one Automerge call per document), beside the same
 * from two authors writing 5 each concurrently (each author's run is one call: two per document,
 * since one call of concurrent changes can leave Automerge 3.5.0's view stale). A third device that
 * already holds the documents pulls the new entries; the clock covers the pull (verify, decrypt,
 * apply). Median of 3 runs per case, alternating, in one process.
 */
export async function benchConcurrentApply(): Promise<Figure[]> {
  return [await benchPull(), benchAutomergeCalls(1), benchAutomergeCalls(2)]
}

async function benchPull(): Promise<Figure> {
  const one: number[] = []
  const two: number[] = []
  for (let run = 1; run <= RUNS; run++) {
    one.push(await timedPull(1, run))
    two.push(await timedPull(2, run))
    progress(`apply run ${run}/${RUNS}: one author ${fmtMs(one.at(-1)!)}, two authors ${fmtMs(two.at(-1)!)}`)
  }
  const a = median(one)
  const b = median(two)
  const entries = DOCS * CHANGES
  return {
    name: `apply ${DOCS.toLocaleString('en-US')} docs x ${CHANGES} changes to held documents, two concurrent authors`,
    value: fmtMs(b),
    reference: `${fmtMs(a)} one author`,
    ratio: b / a,
    target: '<= 1.50',
    met: b / a <= 1.5,
    notes: [
      `one author: ${((a * 1000) / entries).toFixed(0)} µs/entry; two authors (5 + 5 concurrent per document): ${((b * 1000) / entries).toFixed(0)} µs/entry`,
      `median of ${RUNS}; one author runs ${one.map(fmtMs).join(', ')}; two authors runs ${two.map(fmtMs).join(', ')}`,
    ],
  }
}

/** Three devices of one tenant: two writers and a reader that already holds every document. */
async function timedPull(authors: 1 | 2, run: number): Promise<number> {
  const factories = [0, 1, 2].map(() => new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF }))
  const admin = await factories[0]!.createTenant({ tenantId: `apply-${authors}-${run}`, password: PASSWORD })
  const writer = await join(admin, factories[1]!)
  const reader = await join(admin, factories[2]!)
  const [a, b, r] = await Promise.all([admin, writer, reader].map((t) => t.openDB('orders')))
  const ids: DocId[] = []
  for (let i = 0; i < DOCS; i++) ids.push((await a!.createDocument({ data: { n: -1 } })).getId())
  await b!.pullChangesFrom(a!)
  await r!.pullChangesFrom(a!)
  for (const id of ids)
    for (let j = 0; j < CHANGES; j++) {
      const db = authors === 2 && j % 2 === 1 ? b! : a!
      await db.changeDoc(id, (d) => void ((d.getData() as DocData)[`k${j % 2}`] = j))
    }
  if (authors === 2) await a!.pullChangesFrom(b!)
  await settle()
  const timing = await measure(() => r!.pullChangesFrom(a!))
  for (const id of ids.slice(0, 10)) {
    const data = (await r!.getDocument(id))!.getData()
    if (data.k0 !== CHANGES - 2 || data.k1 !== CHANGES - 1) throw new Error(`apply bench: document ${id} incomplete`)
  }
  for (const f of factories) await f.close()
  return timing.ms
}

/** A new device of `admin`'s tenant, joined and holding the directory both ways. */
async function join(admin: Tenant, factory: TenantFactory): Promise<Tenant> {
  const request = await factory.createJoinRequest({ tenantId: admin.id, userName: 'device', password: PASSWORD })
  const response = await admin.approveJoinRequest(request, { role: 'writer' })
  const tenant = await factory.joinTenant(request, response, { password: PASSWORD })
  await syncDatabases(await admin.openDB(DIRECTORY_DB), await tenant.openDB(DIRECTORY_DB))
  await admin.members.refresh()
  await tenant.members.refresh()
  return tenant
}

/**
 * The Automerge part alone, without crypto: the same changes applied to documents that hold their
 * first change, by plan (header parse, SHA-256 per change, the calls it makes) against one
 * `applyChanges` call per document (what Weft did before; wrong for concurrent changes).
 */
export function benchAutomergeCalls(authors: 1 | 2): Figure {
  const docs: { base: Uint8Array[]; changes: Uint8Array[] }[] = []
  for (let i = 0; i < DOCS; i++) {
    let a = A.change(A.init<DocData>(), (d) => void (d.n = -1))
    const base = A.getAllChanges(a)
    const baseHeads = A.getHeads(a)
    let b = A.load<DocData>(A.save(a))
    for (let j = 0; j < CHANGES; j++) {
      if (authors === 2 && j % 2 === 1) b = A.change(b, (d) => void (d[`k${j % 2}`] = j))
      else a = A.change(a, (d) => void (d[`k${j % 2}`] = j))
    }
    docs.push({ base, changes: [...A.getChangesSince(a, baseHeads), ...A.getChangesSince(b, baseHeads)] })
    A.free(a)
    A.free(b)
  }
  const time = (byPlan: boolean) => {
    const held = docs.map((d) => A.applyChanges(A.init<DocData>(), d.base)[0])
    const start = performance.now()
    for (let i = 0; i < DOCS; i++) {
      let doc = held[i]!
      if (byPlan) for (const call of planApply([], docs[i]!.changes, doc).calls) [doc] = A.applyChanges(doc, call)
      else [doc] = A.applyChanges(doc, docs[i]!.changes)
      held[i] = doc
    }
    const ms = performance.now() - start
    for (const d of held) A.free(d)
    return ms
  }
  const plan: number[] = []
  const one: number[] = []
  for (let run = 0; run < 5; run++) {
    one.push(time(false))
    plan.push(time(true))
  }
  const p = median(plan)
  const o = median(one)
  return {
    name: `Automerge calls for ${DOCS.toLocaleString('en-US')} docs x ${CHANGES} changes, ${authors === 1 ? 'one author' : 'two concurrent authors'}, by plan`,
    value: fmtMs(p),
    reference: `${fmtMs(o)} one call per doc`,
    ratio: p / o,
    target: authors === 1 ? '<= 1.30' : '<= 2.00',
    met: p / o <= (authors === 1 ? 1.3 : 2),
    notes: [
      `${((p * 1000) / (DOCS * CHANGES)).toFixed(1)} µs/change by plan, ${((o * 1000) / (DOCS * CHANGES)).toFixed(1)} µs/change in one call per document; median of 5`,
    ],
  }
}
