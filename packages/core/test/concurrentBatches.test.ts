import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { ready, type ChangeHash, type Database, type DocId, type Tenant } from '../src/index.ts'
import type { EntryEnvelope } from '../src/backend.ts'
import { anyOrder, batchesOf, edit, plain, replayed, stepArb, type Step } from './helpers/automergeHistories.ts'
import { firstDevice, joinDevice, syncDirectory } from './helpers/devices.ts'

// Whatever batches a database receives a document's entries in (concurrent writers, any order,
// any cut), what it shows of the document is what its history gives: never a value that a
// concurrent delete removed (Automerge 3.5.0 shows one if both changes reach it in one call).

const RUNS = Number(process.env.WEFT_PROPERTY_RUNS ?? 12)

let writers: Tenant[]
let observer: Tenant
let run = 0

beforeAll(async () => {
  await ready()
  const admin = await firstDevice('batches')
  const others = [await joinDevice(admin.tenant), await joinDevice(admin.tenant), await joinDevice(admin.tenant)]
  for (const o of others) await syncDirectory(admin.tenant, o.tenant)
  for (const o of others) await syncDirectory(admin.tenant, o.tenant) // each now knows every device
  writers = [admin.tenant, others[0]!.tenant, others[1]!.tenant]
  observer = others[2]!.tenant
}, 60_000)

interface Scenario {
  readonly actors: number
  readonly steps: Step[]
  readonly picks: number[]
  readonly cuts: boolean[]
}

/** The writers play the steps on one document of a new database; returns it and every entry written. */
async function write(s: Scenario): Promise<{ name: string; id: DocId; entries: EntryEnvelope[] }> {
  const name = `run${run++}`
  const dbs: Database[] = []
  for (const w of writers.slice(0, s.actors)) dbs.push(await w.openDB(name))
  const doc = await dbs[0]!.createDocument({ data: { list: [], m: {}, t: '' } })
  for (const db of dbs.slice(1)) await db.pullChangesFrom(dbs[0]!)
  for (const step of s.steps) {
    if (step.k === 'sync') {
      if (step.a !== step.b) await dbs[step.b]!.pullChangesFrom(dbs[step.a]!)
    } else await dbs[step.a]!.changeDoc(doc.getId(), (d) => edit(d.getData() as Parameters<typeof edit>[0], step))
  }
  const entries = new Map<ChangeHash, EntryEnvelope>()
  for (const db of dbs)
    for (const e of await db.getStore().getChanges(await db.getStore().getAllChangeHashes())) entries.set(e.hash, e)
  return { name, id: doc.getId(), entries: [...entries.values()] }
}

/** Delivers the entries to the observer's database in the scenario's order and batches; returns what went wrong. */
async function deliver(s: Scenario): Promise<string[]> {
  const { name, id, entries } = await write(s)
  const db = await observer.openDB(name)
  const problems: string[] = []
  for (const batch of batchesOf(anyOrder(entries, s.picks), s.cuts)) {
    await db.getStore().appendMany(batch)
    const report = await db.syncStoreChanges(batch.map((e) => e.hash))
    if (report.rejected.length) problems.push(`rejected ${report.rejected.map((r) => r.error.code).join(',')}`)
    const doc = await db.getDocument(id)
    if (!doc) continue
    const view = JSON.stringify(plain(doc.getData()))
    const history = JSON.stringify(replayed(doc.getData()))
    if (view !== history) problems.push(`shows ${view}, history gives ${history}`)
  }
  const last = (await db.getDocument(id))?.getData()
  const writer = await writers[0]!.openDB(name)
  for (const w of writers.slice(1, s.actors)) await writer.pullChangesFrom(await w.openDB(name))
  const merged = (await writer.getDocument(id))!.getData()
  if (JSON.stringify(plain(last)) !== JSON.stringify(plain(merged))) problems.push('differs from a writer that has all')
  return problems
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.integer({ min: 2, max: 3 }).chain((actors) =>
  fc.record({
    actors: fc.constant(actors),
    steps: fc.array(stepArb(actors), { maxLength: 10 }),
    picks: fc.array(fc.nat(7), { maxLength: 20 }),
    cuts: fc.array(fc.boolean(), { maxLength: 20 }),
  }),
)

// Writer 1 inserts twice and sets `b` (a high op counter); writer 0 sets `b` concurrently (a lower
// one); writer 1 deletes `b`. The observer gets writer 1's first entries, then the set and the delete
// in one batch: one Automerge call of both would show writer 1's deleted value.
const CONCURRENT_DELETE_AND_LOWER_SET: Scenario = {
  actors: 2,
  steps: [
    { k: 'ins', a: 1, at: 0, v: 1 },
    { k: 'ins', a: 1, at: 0, v: 2 },
    { k: 'set', a: 1, nested: false, key: 'b', v: 0, obj: false },
    { k: 'set', a: 0, nested: false, key: 'b', v: 1, obj: false },
    { k: 'del', a: 1, nested: false, key: 'b' },
  ],
  // The entries come writer 0's first (create, its set), then writer 1's (two inserts, set, delete).
  picks: [0, 1, 1, 1, 0, 0],
  cuts: [false, false, false, true, false, false],
}

describe('a database receiving concurrent changes in batches', () => {
  it('shows the value the history gives after a concurrent delete and lower-id set in one batch', async () => {
    expect(await deliver(CONCURRENT_DELETE_AND_LOWER_SET)).toEqual([])
  })

  it('property: for random concurrent writers and any order and batching, it shows what the history gives', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        expect(await deliver(s)).toEqual([])
      }),
      { numRuns: RUNS, examples: [[CONCURRENT_DELETE_AND_LOWER_SET]] },
    )
  }, 120_000)
})
