/**
 * Entries stored and fanned out through 1, 2 and 4 relay processes over one PostgreSQL. Writers
 * push pre-signed entries over HTTP into 8 databases of one tenant, spread over the processes; two
 * subscribers on every process, each subscribed to all 8, wait for all of them live. One more run
 * pushes everything into a single database through 2 processes: appends to one change store take
 * its row lock in turn (gap-free arrival numbers), so that is the ceiling of one database. Beside each: the same entries appended straight into a
 * `PostgresChangeStore` in the bench process (signatures checked the same way), and the curve's
 * first point (one process).
 */
import { generateSigningKeyPair } from '@weft/core'
import type { EntryEnvelope } from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing'
import { registerMembers, RemoteChangeStore, ServerConnection } from '@weft/client'
import { PostgresStoreFactory } from '@weft/store-postgres'
import { fmtRate, progress, type Figure } from './report.ts'
import { sampleConnections, startRelays, type BenchDatabase } from './scaleCluster.ts'
import { inParallel, Subscriber, waitUntil } from './scaleClients.ts'

/** Entries per run. */
const ENTRIES = 6_000
/** Entries per push request. */
const BATCH = 100
const WRITERS_PER_PROCESS = 2
const SUBSCRIBERS_PER_PROCESS = 2
/** How long subscribers may lag behind the last stored entry before the run says what is missing. */
const FANOUT_WAIT_MS = 15_000
/** After an incomplete fan-out, how long more to wait to tell late entries from lost ones. */
const LATE_WAIT_MS = 45_000
export const PROCESS_COUNTS = [1, 2, 4] as const
/** Push requests under way at once, whatever the process count. */
const IN_FLIGHT = 8
/** Databases the writers spread over. */
const DATABASES = 8

/** One point of the curve. */
export interface ThroughputPoint {
  readonly processes: number
  readonly storedPerSecond: number
  /** Entries a second until every subscriber held every entry; undefined when some never arrived. */
  readonly fannedOutPerSecond: number | undefined
  /** Share of (entry, subscriber) pairs delivered live within the wait. */
  readonly delivered: number
  /**
   * When not every pair arrived within the wait: ms from the last store until they all did (a
   * longer wait, up to {@link LATE_WAIT_MS}), or undefined if some never did (lost, not late).
   */
  readonly lateMs?: number | undefined
  /** Most PostgreSQL connections any one relay process held, sampled during the run. */
  readonly maxConnections: number
  readonly databases: number
}

export async function benchScaleThroughput(
  db: BenchDatabase,
): Promise<{ figures: Figure[]; points: ThroughputPoint[] }> {
  const authors = new EntryFactory(64)
  progress(`scale: signing ${(ENTRIES * (PROCESS_COUNTS.length + 2)).toLocaleString('en')} entries`)
  const runs = [...PROCESS_COUNTS, 0, 0].map(() =>
    Array.from({ length: ENTRIES }, (_, i) => envelope(authors.entry(i, [], 200))),
  )

  // The reference: the same work straight into the store, no HTTP, no relay.
  progress('scale: appending straight into PostgreSQL (the reference)')
  const direct = new PostgresStoreFactory({ url: db.url, isolation: 'shared' })
  let directPerSecond: number
  try {
    const store = await direct.openChangeStore('direct/bench')
    const t = performance.now()
    await inParallel(chunks(runs[PROCESS_COUNTS.length]!, BATCH), 2, (batch) => store.appendMany(batch))
    directPerSecond = (ENTRIES / (performance.now() - t)) * 1000
  } finally {
    await direct.close()
  }

  const points: ThroughputPoint[] = []
  for (const [k, n] of PROCESS_COUNTS.entries()) {
    progress(`scale: ${ENTRIES.toLocaleString('en')} entries through ${n} relay process${n > 1 ? 'es' : ''}`)
    points.push(await runThrough(db, n, DATABASES, runs[k]!, authors))
  }
  progress(`scale: ${ENTRIES.toLocaleString('en')} entries into one database through 2 relay processes`)
  const single = await runThrough(db, 2, 1, runs[PROCESS_COUNTS.length + 1]!, authors)

  const one = points[0]!
  const figures: Figure[] = [
    {
      name: `Entries stored through 1 relay process (pushes of ${BATCH} into ${DATABASES} databases)`,
      value: fmtRate(one.storedPerSecond, 'entries'),
      reference: `${fmtRate(directPerSecond, 'entries')} appended in-process`,
      ratio: one.storedPerSecond / directPerSecond,
      target: 'reported',
      met: true,
    },
  ]
  for (const p of points.slice(1)) {
    const ratio = p.storedPerSecond / one.storedPerSecond
    figures.push({
      name: `Entries stored through ${p.processes} relay processes, one PostgreSQL, ${DATABASES} databases`,
      value: fmtRate(p.storedPerSecond, 'entries'),
      reference: `${fmtRate(one.storedPerSecond, 'entries')} through 1`,
      ratio,
      target: '>= 0.80 (2 cores: not falling)',
      met: ratio >= 0.8,
    })
  }
  figures.push({
    name: 'Entries stored into ONE database through 2 relay processes',
    value: fmtRate(single.storedPerSecond, 'entries'),
    reference: `${fmtRate(points[1]!.storedPerSecond, 'entries')} into ${DATABASES} databases`,
    ratio: single.storedPerSecond / points[1]!.storedPerSecond,
    target: 'reported',
    met: true,
    notes: ["appends to one change store take its row in turn, across processes: one database's ceiling"],
  })
  for (const p of points) {
    const reach =
      p.fannedOutPerSecond !== undefined
        ? 'every (entry, subscriber) pair delivered live'
        : `${(p.delivered * 100).toFixed(1)}% of (entry, subscriber) pairs delivered within ${FANOUT_WAIT_MS / 1000} s of the last store; ` +
          (p.lateMs !== undefined
            ? `all of them ${(p.lateMs / 1000).toFixed(1)} s after it (late, not lost)`
            : `some still missing ${(FANOUT_WAIT_MS + LATE_WAIT_MS) / 1000} s after it (lost)`)
    figures.push({
      name: `Entries fanned out live to ${p.processes * SUBSCRIBERS_PER_PROCESS} subscribers on ${p.processes} process${p.processes > 1 ? 'es' : ''}`,
      value: p.fannedOutPerSecond === undefined ? 'incomplete' : fmtRate(p.fannedOutPerSecond, 'entries'),
      reference: `${fmtRate(p.storedPerSecond, 'entries')} stored`,
      ratio: (p.fannedOutPerSecond ?? 0) / p.storedPerSecond,
      target: '>= 0.50',
      met: (p.fannedOutPerSecond ?? 0) / p.storedPerSecond >= 0.5,
      notes: [reach, `most PostgreSQL connections held by one relay process during the run: ${p.maxConnections}`],
    })
  }
  return { figures, points }
}

async function runThrough(
  db: BenchDatabase,
  n: number,
  databases: number,
  entries: readonly EntryEnvelope[],
  authors: EntryFactory,
): Promise<ThroughputPoint> {
  const relays = await startRelays(db, n, `tp${n}`)
  const subscribers: { s: Subscriber; process: number }[] = []
  const connections = sampleConnections(
    db,
    relays.map((r) => r.name),
  )
  try {
    const tenant = `throughput-${n}-${databases}`
    const admin = generateSigningKeyPair()
    const device = generateSigningKeyPair()
    await registerMembers({
      url: relays[0]!.url,
      tenant,
      admin,
      seq: 1,
      add: [device.publicKey, authors.signer.publicKey],
    })
    const names = Array.from({ length: databases }, (_, i) => `orders-${i}`)
    for (const [i, r] of relays.entries())
      for (let j = 0; j < SUBSCRIBERS_PER_PROCESS; j++)
        subscribers.push({ s: await Subscriber.open(r.url, tenant, device, names), process: i })
    // One writer per (process, database) pair, at least WRITERS_PER_PROCESS a process.
    const writers = relays.flatMap((r, i) =>
      Array.from({ length: Math.max(WRITERS_PER_PROCESS, databases) }, (_, w) => ({
        process: i,
        remote: new RemoteChangeStore({
          connection: new ServerConnection({ url: r.url, tenant, key: device }),
          db: names[(w + i) % databases]!,
        }),
      })),
    )
    await Promise.all(writers.map((w) => w.remote.connection.token()))
    const everyone = () => subscribers.every(({ s }) => s.received >= entries.length)
    let doneAt: number | undefined
    let poke = () => {}
    for (const { s } of subscribers)
      s.onEntries = (at) => {
        if (doneAt === undefined && everyone()) doneAt = at
        poke()
      }
    const batches = chunks(entries, BATCH)
    const start = performance.now()
    await inParallel(batches, IN_FLIGHT, async (batch, i) => {
      const w = writers[i % writers.length]!
      const r = await w.remote.relay(batch)
      if (r.added.length !== batch.length) throw new Error(`a push stored ${r.added.length} of ${batch.length}`)
    })
    const storedMs = performance.now() - start
    const fanned = waitUntil(() => doneAt !== undefined, FANOUT_WAIT_MS)
    poke = fanned.poke
    const complete = await fanned.promise
    const fanMs = (doneAt ?? performance.now()) - start
    const pairs = subscribers.length * entries.length
    const got = subscribers.reduce((a, { s }) => a + Math.min(s.received, entries.length), 0)
    let lateMs: number | undefined
    if (!complete) {
      const late = waitUntil(() => doneAt !== undefined, LATE_WAIT_MS)
      poke = late.poke
      if (await late.promise) lateMs = doneAt! - (start + storedMs)
    }
    return {
      processes: n,
      storedPerSecond: (entries.length / storedMs) * 1000,
      fannedOutPerSecond: complete ? (entries.length / fanMs) * 1000 : undefined,
      delivered: got / pairs,
      lateMs,
      maxConnections: connections.max(),
      databases,
    }
  } finally {
    await connections.stop()
    for (const { s } of subscribers) s.close()
    await Promise.all(relays.map((r) => r.stop()))
  }
}

function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size))
  return out
}
