import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { asDbName, asDocId, asKeyId, asTenantId } from '@weft/core'
import {
  createEntry,
  processReconcileMessage,
  RECONCILE_VERSION,
  type ChangeStore,
  type ParsedEntry,
  fingerprintOf,
  type ReconcileMessage,
  type ReconcileSource,
} from '@weft/core/backend'
import { LevelStoreFactory } from '@weft/store-level'
import { Identifiers, PostgresStoreFactory } from '@weft/store-postgres'
import pg from 'pg'
import { startEmbeddedPostgres } from '../test/helpers/embeddedPostgres.ts'
import { encodeChangePayload, generateKey, generateSigningKeyPair } from './internals.ts'
import { fmtMs, fmtRate, median, progress, timeMs, type Figure } from './report.ts'
import { benchRecordStatements } from './postgresRecords.ts'

/** Store sizes: appends and reconciliation are measured as the store grows through them. */
const SIZES = [1_000, 10_000, 100_000] as const
const BATCH = 1_000
const RUNS = 5
const STORE = 'bench/orders'

/** `count` signed, encrypted 200-byte entries over 100 documents, as `createEntry` returns them. */
function makeEntries(count: number): ParsedEntry[] {
  const author = generateSigningKeyPair()
  const key = generateKey()
  const docIds = Array.from({ length: 100 }, (_, i) => asDocId(i.toString(16).padStart(32, '0')))
  const payload = encodeChangePayload([globalThis.crypto.getRandomValues(new Uint8Array(200))])
  return Array.from({ length: count }, () =>
    createEntry({
      kind: 'change',
      docId: docIds[Math.floor(Math.random() * 100)]!,
      origin: { tenant: asTenantId('bench'), db: asDbName('orders') },
      deps: [],
      keyId: asKeyId('default'),
      keyVersion: 1,
      key,
      payload,
      author,
    }),
  )
}

/** A first reconciliation message whose whole-range fingerprint differs: the responder splits it (17 ranges). */
const firstMessage = (): ReconcileMessage => ({
  v: RECONCILE_VERSION,
  items: [{ t: 'fingerprint', p: '', n: 1, fp: globalThis.crypto.getRandomValues(new Uint8Array(16)) }],
})

/** Appends `entries` in batches; entries/s. */
async function appendRate(store: ChangeStore, entries: readonly ParsedEntry[]): Promise<number> {
  const ms = await timeMs(async () => {
    for (let i = 0; i < entries.length; i += BATCH) {
      const r = await store.appendMany(entries.slice(i, i + BATCH))
      if (r.added.length !== Math.min(BATCH, entries.length - i)) throw new Error('bench entries were not all added')
    }
  })
  return (entries.length / ms) * 1000
}

/** Median time for a responder to answer {@link firstMessage}. */
async function reconcileMs(store: ReconcileSource): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < RUNS; i++)
    times.push(await timeMs(() => processReconcileMessage(store, firstMessage(), { role: 'responder' })))
  return median(times)
}

/** The store as reconciliation reads it without the index: each fingerprint sums its range's hashes (O(n)). */
function summing(store: ChangeStore): ReconcileSource {
  return {
    fingerprint: async (range) => fingerprintOf(await store.hashesInRange(range)),
    hashesInRange: (range, options) => store.hashesInRange(range, options),
  }
}

/**
 * `npm run bench -- postgres`: a store growing to 1k, 10k and 100k entries on PostgreSQL (shared
 * tables, the model with the most rows per table) beside the same entries on LevelDB in the same
 * run: appends/s for each step of growth (PostgreSQL with fsync on, LevelDB without, as each runs
 * by default), and what one reconciliation message costs at each size, indexed beside summing the
 * range's hashes on the same store (the O(n) path), with LevelDB's indexed cost in the notes, and
 * the server records' steps with and without named prepared statements.
 * PostgreSQL is `WEFT_BENCH_PG_URL` when set, else a throwaway embedded one (durability on: its
 * fsync is what a server pays).
 */
export async function benchPostgres(): Promise<Figure[]> {
  const given = process.env.WEFT_BENCH_PG_URL
  const embedded = given ? undefined : await startEmbeddedPostgres({ durable: true })
  const adminUrl = given ?? embedded!.url
  const dbName = `weft_bench_${process.pid}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${dbName}`)
  const url = new URL(adminUrl)
  url.pathname = `/${dbName}`
  const dir = await mkdtemp(join(tmpdir(), 'weft-bench-pg-level-'))
  const postgres = new PostgresStoreFactory({ url: url.toString(), isolation: 'shared' })
  const level = new LevelStoreFactory({ path: dir })
  const figures: Figure[] = []
  try {
    progress(`postgres: signing ${SIZES[SIZES.length - 1]!.toLocaleString('en')} entries`)
    const entries = makeEntries(SIZES[SIZES.length - 1]!)
    const pgStore = await postgres.openChangeStore(STORE)
    const levelStore = await level.openChangeStore(STORE)
    const reconcile: { n: number; pg: number; scan: number; level: number }[] = []
    let from = 0
    for (const n of SIZES) {
      progress(`postgres: growing both stores to ${n.toLocaleString('en')} entries`)
      const step = entries.slice(from, n)
      const pgRate = await appendRate(pgStore, step)
      const levelRate = await appendRate(levelStore, step)
      from = n
      figures.push({
        name: `PostgreSQL appendMany (batches of ${BATCH}), store growing to ${n.toLocaleString('en')}`,
        value: fmtRate(pgRate, 'entries'),
        reference: `LevelDB ${fmtRate(levelRate, 'entries')}`,
        ratio: pgRate / levelRate,
        target: '>= 0.10',
        met: pgRate / levelRate >= 0.1,
      })
      reconcile.push({
        n,
        pg: await reconcileMs(pgStore),
        scan: await reconcileMs(summing(pgStore)),
        level: await reconcileMs(levelStore),
      })
    }
    for (const r of reconcile)
      figures.push({
        name: `PostgreSQL reconcile message (17 ranges), store of ${r.n.toLocaleString('en')}, indexed`,
        value: fmtMs(r.pg),
        reference: `${fmtMs(r.scan)} summing hashes`,
        ratio: r.pg / r.scan,
        target: r.n >= 10_000 ? '<= 0.50' : '<= 1.50',
        met: r.pg / r.scan <= (r.n >= 10_000 ? 0.5 : 1.5),
        notes: [
          `LevelDB, indexed, same entries: ${fmtMs(r.level)} (in-process; PostgreSQL pays a round trip per range)`,
        ],
      })
    const [small, large] = [reconcile[0]!, reconcile[reconcile.length - 1]!]
    figures.push({
      name: `PostgreSQL reconcile cost growth, ${small.n.toLocaleString('en')} → ${large.n.toLocaleString('en')} entries (100x)`,
      value: fmtMs(large.pg),
      reference: `${fmtMs(small.pg)} at ${small.n.toLocaleString('en')}`,
      ratio: large.pg / small.pg,
      target: '<= 3 (indexed, not O(n))',
      met: large.pg / small.pg <= 3,
    })
    progress('postgres: server record steps, named and unnamed statements')
    figures.push(await benchRecordStatements(url.toString()))
  } finally {
    await postgres.close()
    await level.close()
    await rm(dir, { recursive: true, force: true })
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
    await admin.query(`DROP ROLE IF EXISTS ${Identifiers.appRole(dbName)}`)
    await admin.end()
    await embedded?.stop()
  }
  return figures
}
