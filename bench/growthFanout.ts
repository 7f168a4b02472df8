/**
 * The growth group's fan-out row: one append to one tenant database on a real Weft server (LevelDB,
 * its own process, loopback), timed from just before the push to the moment the last of its live
 * subscribers holds the entry, at three subscriber counts. The cost per subscriber at each count
 * shows how fan-out grows. Subscribers are raw signed-in sockets (one sign-in, one socket each, the
 * server's entries parsed by the protocol's checked parser), all in one process: what they cost to
 * receive is in the figure, as it would be on any machine that holds that many clients.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { generateSigningKeyPair, ready } from '@weft/core'
import { EntryFactory, envelope } from '@weft/core/testing'
import { registerMembers, RemoteChangeStore, ServerConnection } from '@weft/client'
import { fmtRatio, median, progress, type Figure } from './report.ts'
import { runInChild } from './runInChild.ts'
import { inParallel, Subscriber, waitUntil } from './scaleClients.ts'

/** Live subscribers of the one database at each step; the sockets of a step stay open into the next. */
const DEFAULT_COUNTS = [10, 100, 1_000] as const
const SAMPLES = 15
const OPEN_WIDTH = 32
/** Longest one append may take to reach every subscriber before the bench gives up. */
const DELIVERY_WAIT_MS = 30_000
/** A per-subscriber cost at the largest count above this multiple of the smallest's is a super-linear step. */
const GROWTH_LIMIT = 2
const CHILD_FLAG = '--bench-growth-fanout-child'

/** One subscriber count's medians, in milliseconds. */
interface FanoutPoint {
  readonly subscribers: number
  /** From just before the push to the last subscriber's arrival. */
  readonly lastMs: number
  /** From just before the push to its answer (the entry stored). */
  readonly storedMs: number
  /** From just before the push to the first subscriber's arrival. */
  readonly firstMs: number
}

/** The fan-out figure of the growth group, measured in a fresh process (and the server in another). */
export async function benchGrowthFanout(counts: readonly number[] = DEFAULT_COUNTS): Promise<Figure> {
  const points = await runInChild<FanoutPoint[]>(
    fileURLToPath(import.meta.url),
    [CHILD_FLAG, counts.join(',')],
    'growth fan-out child',
  )
  const per = (p: FanoutPoint) => (p.lastMs * 1000) / p.subscribers
  const first = points[0]!
  const last = points[points.length - 1]!
  const ratio = per(last) / per(first)
  const n = (x: number) => x.toLocaleString('en-US')
  return {
    name: 'growth: server fan-out, per subscriber',
    value: `${fmtUs(per(last))} at ${n(last.subscribers)}`,
    reference: `${fmtUs(per(first))} at ${n(first.subscribers)}`,
    ratio,
    target: `<= ${GROWTH_LIMIT.toFixed(2)}`,
    met: ratio <= GROWTH_LIMIT,
    notes: [
      `one append to a database with that many live subscribers (one tenant, a Weft server over LevelDB in its own process, loopback), from just before the push to the last subscriber holding it (median of ${SAMPLES})`,
      `per subscriber at ${points.map((p) => `${n(p.subscribers)}: ${fmtUs(per(p))}`).join(', ')}`,
      `whole fan-out (push to last arrival) at ${points.map((p) => `${n(p.subscribers)}: ${fmtMs(p.lastMs)}`).join(', ')}; push to first arrival ${points.map((p) => fmtMs(p.firstMs)).join(', ')}; push answered ${points.map((p) => fmtMs(p.storedMs)).join(', ')}`,
      `largest / smallest cost per subscriber: ${fmtRatio(ratio)}, for ${(last.subscribers / first.subscribers).toFixed(0)} times the subscribers`,
    ],
  }
}

async function childMain(counts: readonly number[]): Promise<void> {
  await ready()
  const path = await mkdtemp(join(tmpdir(), 'weft-bench-fanout-'))
  const server = await startServer(path)
  const open: Subscriber[] = []
  try {
    const tenant = 'fanout'
    const admin = generateSigningKeyPair()
    const device = generateSigningKeyPair()
    const authors = new EntryFactory(4)
    await registerMembers({ url: server.url, tenant, admin, seq: 1, add: [device.publicKey, authors.signer.publicKey] })
    const connection = new ServerConnection({ url: server.url, tenant, key: device })
    const token = await connection.token()
    const writer = new RemoteChangeStore({ connection, db: 'docs' })
    const points: FanoutPoint[] = []
    let seq = 0
    const append = async (): Promise<{ lastMs: number; firstMs: number; storedMs: number }> => {
      const arrivals: number[] = []
      const wait = waitUntil(() => arrivals.length === open.length, DELIVERY_WAIT_MS)
      for (const s of open)
        s.onEntries = (at) => {
          arrivals.push(at)
          wait.poke()
        }
      const entry = envelope(authors.entry(seq++, [], 200))
      const start = performance.now()
      const r = await writer.relay([entry])
      const storedMs = performance.now() - start
      if (r.added.length !== 1) throw new Error('the append was not stored')
      if (!(await wait.promise)) throw new Error(`${arrivals.length} of ${open.length} subscribers got the append`)
      return { lastMs: Math.max(...arrivals) - start, firstMs: Math.min(...arrivals) - start, storedMs }
    }
    for (const count of counts) {
      const more = Array.from({ length: count - open.length }, () => server.url)
      open.push(...(await inParallel(more, OPEN_WIDTH, (url) => Subscriber.connect(url, tenant, token, 'docs'))))
      for (let i = 0; i < 3; i++) await append() // warm-up
      const samples = []
      for (let i = 0; i < SAMPLES; i++) samples.push(await append())
      points.push({
        subscribers: count,
        lastMs: median(samples.map((s) => s.lastMs)),
        firstMs: median(samples.map((s) => s.firstMs)),
        storedMs: median(samples.map((s) => s.storedMs)),
      })
      progress(`growth fan-out: ${count.toLocaleString('en-US')} subscribers measured`)
    }
    process.send!(points, () => process.exit(0))
  } finally {
    for (const s of open) s.close()
    await server.stop()
    await rm(path, { recursive: true, force: true })
  }
}

async function startServer(path: string): Promise<{ url: string; stop(): Promise<void> }> {
  const script = fileURLToPath(new URL('./fanoutServer.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, WEFT_FANOUT_PATH: path },
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const line = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next()
  if (line.done) throw new Error('the fan-out server ended before printing its URL')
  const { url } = JSON.parse(line.value as string) as { url: string }
  return {
    url,
    async stop() {
      child.stdin.end()
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    },
  }
}

function fmtUs(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`
}

function fmtMs(ms: number): string {
  return `${ms.toFixed(ms >= 100 ? 0 : 1)} ms`
}

// Entry point of the child started by benchGrowthFanout (this file run directly with CHILD_FLAG).
if (process.argv[2] === CHILD_FLAG) {
  childMain(process.argv[3]!.split(',').map(Number)).catch((err: unknown) => {
    console.error(err)
    process.exit(1)
  })
}
