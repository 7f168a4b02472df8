/**
 * What PostgreSQL's LISTEN/NOTIFY carries here: notifications a second one server delivers to a
 * listener with 1 and 4 publishing connections, each beside plain `SELECT 1` round trips on the
 * same connections (the ceiling of any query), and the delivery latency from just before
 * `pg_notify` to the listener, idle and under that load. The payload is the relay's own `stored`
 * notice ("tenant t's database d grew up to arrival n of epoch e"), encoded as its bus encodes it.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { decodeClusterMessage, encodeClusterMessage } from '@weft/core/backend'
import pg from 'pg'
import { createStoredNotice } from './internals.ts'
import { fmtMs, fmtRate, progress, type Figure } from './report.ts'
import type { BenchDatabase } from './scaleCluster.ts'
import { summarize, type LatencySummary } from './scaleModel.ts'

const CHANNEL = 'weft_bench_notify'
const RUN_MS = 2_000
export const PUBLISHER_COUNTS = [1, 4] as const

/** A store epoch as long as the ones PostgreSQL stores make (8 random bytes in hex). */
const EPOCH = randomBytes(8).toString('hex')

/** The payload of notification `id`: the `stored` notice a relay publishes after an append. */
export function storedMessage(origin: string, id: number): string {
  const to = 1_000_000 + id
  return encodeClusterMessage(
    origin,
    createStoredNotice({
      tenant: `tenant-${(id % 100_000).toString().padStart(6, '0')}`,
      db: 'orders',
      epoch: EPOCH,
      from: to - 9,
      to,
    }),
  )
}

/** One load step. */
export interface NotifyPoint {
  readonly publishers: number
  readonly deliveredPerSecond: number
  readonly selectPerSecond: number
  readonly latency: LatencySummary
}

export async function benchScaleNotify(
  db: BenchDatabase,
): Promise<{ figures: Figure[]; points: NotifyPoint[]; idle: LatencySummary; payloadBytes: number }> {
  const origin = randomUUID()
  const payloadBytes = new TextEncoder().encode(storedMessage(origin, 0)).length
  const listener = new pg.Client({ connectionString: db.url })
  await listener.connect()
  await listener.query(`LISTEN ${CHANNEL}`)
  const sent = new Map<number, number>()
  const latencies: number[] = []
  let received = 0
  listener.on('notification', (n) => {
    const at = performance.now()
    const seq = n.payload === undefined ? undefined : decodeClusterMessage(n.payload)?.message.data?.to
    const t = typeof seq === 'number' ? sent.get(seq - 1_000_000) : undefined
    if (t !== undefined) latencies.push(at - t)
    received++
  })
  const publishers = await Promise.all(
    Array.from({ length: Math.max(...PUBLISHER_COUNTS) }, async () => {
      const c = new pg.Client({ connectionString: db.url })
      await c.connect()
      return c
    }),
  )
  let nextId = 0
  try {
    progress('scale: NOTIFY delivery latency, idle')
    for (let i = 0; i < 300; i++) {
      const id = nextId++
      sent.set(id, performance.now())
      await publishers[0]!.query('SELECT pg_notify($1, $2)', [CHANNEL, storedMessage(origin, id)])
      await new Promise((r) => setTimeout(r, 2))
    }
    await drained(() => received === nextId)
    const idle = summarize(latencies.splice(0))

    const points: NotifyPoint[] = []
    for (const p of PUBLISHER_COUNTS) {
      progress(`scale: NOTIFY with ${p} publishing connection${p > 1 ? 's' : ''}, and SELECT 1 on the same`)
      const selects = await loop(publishers.slice(0, p), (c) => c.query('SELECT 1'))
      received = 0
      const first = nextId
      const start = performance.now()
      await loop(publishers.slice(0, p), (c) => {
        const id = nextId++
        sent.set(id, performance.now())
        return c.query('SELECT pg_notify($1, $2)', [CHANNEL, storedMessage(origin, id)])
      })
      await drained(() => received === nextId - first)
      const ms = performance.now() - start
      points.push({
        publishers: p,
        deliveredPerSecond: (received / ms) * 1000,
        selectPerSecond: selects,
        latency: summarize(latencies.splice(0)),
      })
      sent.clear()
    }
    const figures: Figure[] = points.map((p) => ({
      name: `NOTIFY delivered to a listener, ${p.publishers} publishing connection${p.publishers > 1 ? 's' : ''} (${payloadBytes} B payload)`,
      value: fmtRate(p.deliveredPerSecond, 'notifications'),
      reference: `${fmtRate(p.selectPerSecond, 'SELECT 1')} same connections`,
      ratio: p.deliveredPerSecond / p.selectPerSecond,
      target: 'reported',
      met: true,
      notes: [
        `delivery latency under this load: p50 ${fmtMs(p.latency.p50)}, p99 ${fmtMs(p.latency.p99)} (${p.latency.count.toLocaleString('en')} notifications)`,
      ],
    }))
    figures.push({
      name: 'NOTIFY delivery latency p99, idle',
      value: fmtMs(idle.p99),
      reference: `p50 ${fmtMs(idle.p50)}`,
      ratio: idle.p99 / idle.p50,
      target: 'reported',
      met: true,
    })
    return { figures, points, idle, payloadBytes }
  } finally {
    await Promise.all([...publishers, listener].map((c) => c.end()))
  }
}

/** Runs `op` back to back on every client for {@link RUN_MS}; operations a second in all. */
async function loop(clients: readonly pg.Client[], op: (c: pg.Client) => Promise<unknown>): Promise<number> {
  let ops = 0
  const start = performance.now()
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() - start < RUN_MS) {
        await op(c)
        ops++
      }
    }),
  )
  return (ops / (performance.now() - start)) * 1000
}

/** Waits until `done()` or 10 s pass (a notification lost would otherwise hang the bench). */
async function drained(done: () => boolean): Promise<void> {
  const until = performance.now() + 10_000
  while (!done() && performance.now() < until) await new Promise((r) => setTimeout(r, 5))
}
