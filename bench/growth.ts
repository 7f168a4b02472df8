import { fork } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { incrementalSync, ready, TenantFactory, TEST_KDF, type Database, type DocId, type SyncState } from '@weft/core'
import { reconcileInProcess, type ReconcileSource } from '@weft/core/backend'
import { LevelStoreFactory } from '@weft/store-level'
import { fmtRatio, median, progress, settle, timeMs, type Figure } from './report.ts'

/** Documents per size (one `create` entry each): the per-item cost at each shows how the cost grows. */
const DEFAULT_SIZES = [1_000, 3_000, 10_000] as const
const NEW_ENTRIES = 10
const SAMPLES = 20
/** Timed rounds of incremental sync and of reconciliation, at each size: one round of either takes tens of milliseconds, which one stray pause on a busy machine doubles. */
const ROUNDS = 5
const PASSWORD = 'bench'
/** A per-item cost at the largest size above this multiple of the smallest's is a super-linear step. */
const GROWTH_LIMIT = 2

/** One size's measurements, each a cost per item (µs): wall clock, and CPU time of the process (all threads). */
interface Point {
  readonly size: number
  readonly us: Record<Row, number>
  readonly cpuUs: Record<Row, number>
  /** Range fingerprints one reconciliation read (both sides together), and the messages it took. */
  readonly reconcileReads: number
  readonly reconcileRounds: number
}

const CHILD_FLAG = '--bench-growth-child'

type Row = 'full sync' | 'incremental sync' | 'reconciliation' | 'open' | 'read' | 'write'

const ROWS: readonly { row: Row; item: string; what: string }[] = [
  {
    row: 'full sync',
    item: 'entry',
    what: 'pull every entry into an empty partner database (verified, decrypted, materialised)',
  },
  {
    row: 'incremental sync',
    item: 'new entry',
    what: `incrementalSync of ${NEW_ENTRIES} new entries from its saved cursor (median of ${ROUNDS} rounds)`,
  },
  {
    row: 'reconciliation',
    item: 'new entry',
    what: `set reconciliation of two stores that differ by ${NEW_ENTRIES} entries (median of ${ROUNDS})`,
  },
  { row: 'open', item: 'document', what: 'openDB of the database from LevelDB (new factory over the same folder)' },
  { row: 'read', item: 'read', what: `getDocument of one document after open (median of ${SAMPLES})` },
  { row: 'write', item: 'write', what: `changeDoc of one document after open (median of ${SAMPLES})` },
]

/**
 * The `growth` group: the same operations at three database sizes, each as a cost per item, so a
 * super-linear step shows as a per-item cost that rises with the size. One figure per operation:
 * the per-item cost at the largest size against the smallest. Everything runs on LevelDB.
 */
export async function benchGrowth(sizes: readonly number[] = DEFAULT_SIZES): Promise<Figure[]> {
  const points: Point[] = []
  for (const size of sizes) points.push(await inChild(size))
  const first = points[0]!
  const last = points[points.length - 1]!
  return ROWS.map(({ row, item, what }) => {
    const ratio = last.us[row] / first.us[row]
    return {
      name: `growth: ${row}, per ${item}`,
      value: `${fmtUs(last.us[row])} at ${last.size.toLocaleString('en-US')}`,
      reference: `${fmtUs(first.us[row])} at ${first.size.toLocaleString('en-US')}`,
      ratio,
      target: `<= ${GROWTH_LIMIT.toFixed(2)}`,
      met: ratio <= GROWTH_LIMIT,
      notes: [
        what,
        `per ${item} at ${points.map((p) => `${p.size.toLocaleString('en-US')} documents: ${fmtUs(p.us[row])}`).join(', ')}`,
        `process CPU time per ${item} (all threads; what other load on the machine does not change): ${points.map((p) => fmtUs(p.cpuUs[row])).join(', ')}`,
        `largest / smallest cost per ${item}: ${fmtRatio(ratio)}, for ${(last.size / first.size).toFixed(0)} times the documents`,
        ...(row === 'reconciliation' ? reconcileWork(points) : []),
      ],
    }
  })
}

/**
 * What one reconciliation reads at each size: it walks down one level of ranges more whenever the
 * ranges of the level above hold more than a leaf's worth of hashes, so its reads grow in steps
 * with the logarithm of the store (a cost per read that stays flat says the store is not the cause).
 */
function reconcileWork(points: readonly Point[]): string[] {
  const each = (f: (p: Point) => string) => points.map(f).join(', ')
  return [
    `range fingerprints read by both sides, and messages: ${each((p) => `${p.reconcileReads} in ${p.reconcileRounds}`)}`,
    `per range read: ${each((p) => fmtUs((p.us.reconciliation * NEW_ENTRIES) / p.reconcileReads))}`,
  ]
}

/**
 * Measures one size in a fresh process, after a small warm-up there: in one process, each size
 * would pay for the garbage and the WebAssembly heap of the sizes before it.
 */
function inChild(size: number): Promise<Point> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG, String(size)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    let result: Point | undefined
    child.on('message', (m) => (result = m as Point))
    child.on('error', reject)
    child.on('exit', (code) =>
      result && code === 0 ? resolve(result) : reject(new Error(`growth child for ${size} exited with ${code}`)),
    )
  })
}

async function childMain(size: number): Promise<void> {
  await ready()
  await measureSize(100) // warm-up: compiles every path measured
  const point = await measureSize(size)
  process.send!(point, () => process.exit(0))
}

/** Wall-clock and process CPU milliseconds of `fn`. */
async function timed(fn: () => unknown): Promise<{ ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage()
  const ms = await timeMs(fn)
  const used = process.cpuUsage(cpu)
  return { ms, cpuMs: (used.user + used.system) / 1000 }
}

function fmtUs(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`
}

async function measureSize(size: number): Promise<Point> {
  const path = await mkdtemp(join(tmpdir(), 'weft-bench-growth-'))
  try {
    const factory = new TenantFactory({ storeFactory: new LevelStoreFactory({ path }), kdf: TEST_KDF })
    const supplier = await factory.createTenant({ tenantId: 'growth-supplier', password: PASSWORD })
    const customer = await factory.createTenant({ tenantId: 'growth-customer', password: PASSWORD })
    await supplier.keyBag.generateKey('shared')
    await customer.addPartner(supplier.publicProfile(), { dbs: ['docs'] })
    await customer.acceptSharedKey(supplier.shareKey('shared', customer.publicProfile()))
    const source = await supplier.openDB('docs', { keyId: 'shared' })
    const ids: DocId[] = []
    for (let i = 0; i < size; i++) ids.push((await source.createDocument({ data: { n: i, status: 'new' } })).getId())
    progress(`growth ${size.toLocaleString('en-US')}: documents created`)
    const target = await customer.openDB('docs')
    await settle()

    let state: SyncState | undefined
    const full = await timed(
      async () => (state = await incrementalSync(source, target, undefined, { pageSize: 2_000 })),
    )
    await expectDocs(target, size)

    const incrementals: { ms: number; cpuMs: number }[] = []
    for (let round = 1; round <= ROUNDS; round++) {
      await touch(source, ids, NEW_ENTRIES, round)
      await settle()
      incrementals.push(await timed(async () => (state = await incrementalSync(source, target, state))))
    }
    void state

    await touch(source, ids, NEW_ENTRIES, ROUNDS + 1)
    await settle()
    const reconciles: { ms: number; cpuMs: number }[] = []
    const tally = { reads: 0, rounds: 0 }
    for (let round = 1; round <= ROUNDS; round++) {
      let differ = 0
      tally.reads = 0
      reconciles.push(
        await timed(async () => {
          const r = await reconcileInProcess(counted(source.getStore(), tally), counted(target.getStore(), tally))
          differ = r.have.length + r.need.length
          tally.rounds = r.rounds
        }),
      )
      if (differ !== NEW_ENTRIES) throw new Error(`reconciliation found ${differ} differences, expected ${NEW_ENTRIES}`)
      await settle()
    }
    await factory.close()

    const again = new TenantFactory({ storeFactory: new LevelStoreFactory({ path }), kdf: TEST_KDF })
    const reopened = await again.openTenant('growth-supplier', { password: PASSWORD })
    await settle()
    let db!: Database
    const opened = await timed(async () => (db = await reopened.openDB('docs')))
    const reads: { ms: number; cpuMs: number }[] = []
    const writes: { ms: number; cpuMs: number }[] = []
    for (let i = 0; i < SAMPLES; i++) {
      const id = ids[(i * 7919) % ids.length]!
      reads.push(await timed(() => db.getDocument(id)))
      writes.push(await timed(() => db.changeDoc(id, (d) => void (d.getData().status = `read ${i}`))))
    }
    await again.close()
    progress(`growth ${size.toLocaleString('en-US')}: measured`)
    const per = (key: 'ms' | 'cpuMs'): Record<Row, number> => ({
      'full sync': (full[key] * 1000) / size,
      'incremental sync': (median(incrementals.map((r) => r[key])) * 1000) / NEW_ENTRIES,
      reconciliation: (median(reconciles.map((r) => r[key])) * 1000) / NEW_ENTRIES,
      open: (opened[key] * 1000) / size,
      read: median(reads.map((r) => r[key])) * 1000,
      write: median(writes.map((w) => w[key])) * 1000,
    })
    return { size, us: per('ms'), cpuUs: per('cpuMs'), reconcileReads: tally.reads, reconcileRounds: tally.rounds }
  } finally {
    await rm(path, { recursive: true, force: true })
  }
}

/** `store` as a reconciliation source that counts the range fingerprints read through it. */
function counted(store: ReconcileSource, tally: { reads: number }): ReconcileSource {
  const many = store.fingerprints?.bind(store)
  return {
    fingerprint: (range) => (tally.reads++, store.fingerprint(range)),
    ...(many && { fingerprints: (ranges) => ((tally.reads += ranges.length), many(ranges)) }),
    hashesInRange: (range) => store.hashesInRange(range),
  }
}

/** One change to each of `count` documents. */
async function touch(db: Database, ids: readonly DocId[], count: number, round: number): Promise<void> {
  for (let i = 0; i < count; i++) await db.changeDoc(ids[i]!, (d) => void (d.getData().status = `round ${round}`))
}

async function expectDocs(db: Database, size: number): Promise<void> {
  const n = (await db.getAllDocumentIds()).length
  if (n !== size) throw new Error(`the partner database has ${n} documents, expected ${size}`)
}

// Entry point of a child started by inChild (this file run directly with CHILD_FLAG).
if (process.argv[2] === CHILD_FLAG) {
  childMain(Number(process.argv[3])).catch((err: unknown) => {
    console.error(err)
    process.exit(1)
  })
}
