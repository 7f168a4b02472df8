/**
 * Live-push latency with 1,000 signed-in WebSocket clients: 100 databases of 10 clients each, one
 * writer in each (10% writing). Every round each writer pushes one entry at a random moment of a
 * ten-second window (10 pushes a second in all, each to 9 subscribers); the latency of a push is
 * measured from just before its request to the moment each of the 9 other clients of its database
 * receives it, and also from the push's answer (the entry stored) to each arrival. Run with every client on one process,
 * then spread over 2 (a database's clients alternate between the processes), beside an idle
 * loopback WebSocket round trip. Also: memory per connected client beside a bare socket (in a relay
 * process of its own, `scaleMemory.ts`), and the
 * PostgreSQL connections each process holds beside its pool's bound.
 */
import { generateSigningKeyPair, type SigningKeyPair } from '@weft/core'
import { EntryFactory, envelope } from '@weft/core/testing'
import { registerMembers, RemoteChangeStore, ServerConnection } from '@weft/client'
import { fmtMs, fmtRatio, progress, type Figure } from './report.ts'
import { sampleConnections, POOL_BOUND, startRelays, type BenchDatabase, type RelayProcess } from './scaleCluster.ts'
import { inParallel, Subscriber, waitUntil } from './scaleClients.ts'
import { summarize, type LatencySummary } from './scaleModel.ts'
import { openBare, relayMemoryPerClient } from './scaleMemory.ts'

const ROOMS = 100
const PER_ROOM = 10
const ROUNDS = 3
/** Each writer pushes once in each window of this length: 100 writers make 10 pushes a second. */
const ROUND_MS = 10_000
/** Longest a push may take to reach its database's subscribers before it counts as not delivered. */
const DELIVERY_WAIT_MS = 5_000
const SIGN_IN_WIDTH = 32

/** What one configuration measured. */
interface LatencyRun {
  readonly processes: number
  readonly latency: LatencySummary | undefined
  /** Share of (push, subscriber) pairs delivered within the wait. */
  readonly delivered: number
  /** From just before each push request to its answer (the entry stored). */
  readonly acked: LatencySummary
  /** From each push's answer to each subscriber's arrival: the fan-out alone. */
  readonly afterStored: LatencySummary | undefined
  /** Most connections any process held, sampled during the run. */
  readonly maxConnections: number
}

export async function benchScaleLatency(db: BenchDatabase): Promise<Figure[]> {
  const relays = await startRelays(db, 2, 'live')
  try {
    const tenant = 'live'
    const admin = generateSigningKeyPair()
    const authors = new EntryFactory(16)
    const devices = Array.from({ length: ROOMS }, () => generateSigningKeyPair())
    await registerMembers({
      url: relays[0]!.url,
      tenant,
      admin,
      seq: 1,
      add: [authors.signer.publicKey, ...devices.map((d) => d.publicKey)],
    })

    progress('scale: idle loopback round trips and bare sockets')
    const rtt = await echoRoundTrips(relays[0]!.echo, 300)

    progress(`scale: ${ROOMS * PER_ROOM} clients on one process, ${ROOMS} writing`)
    const one = await run(db, relays.slice(0, 1), tenant, devices, authors, 'one')
    progress(`scale: ${ROOMS * PER_ROOM} clients over two processes, ${ROOMS} writing`)
    const two = await run(db, relays, tenant, devices, authors, 'two')
    progress('scale: memory per client, in a relay process of its own')
    const mem = await relayMemoryPerClient(db, tenant, devices)

    const figures: Figure[] = []
    const missing = (r: LatencyRun) =>
      `${(r.delivered * 100).toFixed(1)}% of (push, subscriber) pairs delivered within ${DELIVERY_WAIT_MS / 1000} s`
    for (const [name, pick] of [
      ['p50', (s: LatencySummary) => s.p50],
      ['p99', (s: LatencySummary) => s.p99],
    ] as const) {
      const a = one.latency && pick(one.latency)
      const b = two.latency && pick(two.latency)
      const echo = pick(rtt)
      figures.push({
        name: `Live push ${name}, ${ROOMS * PER_ROOM} clients over 2 processes, 10% writing (${(ROOMS * 1000) / ROUND_MS} pushes/s)`,
        value: b === undefined ? 'none delivered' : fmtMs(b),
        reference: a === undefined ? 'none on 1 process' : `${fmtMs(a)} on 1 process`,
        ratio: b !== undefined && a !== undefined ? b / a : 0,
        target: name === 'p99' ? '<= 2.00' : 'reported',
        met: name === 'p99' ? b !== undefined && a !== undefined && b / a <= 2 && two.delivered === 1 : true,
        notes: [
          `idle loopback WebSocket round trip ${name}: ${fmtMs(echo)}; 2 processes / loopback: ${b === undefined ? '-' : fmtRatio(b / echo)}${name === 'p99' ? ' (target <= 5)' : ''}`,
          `1 process: ${missing(one)}; 2 processes: ${missing(two)}`,
          `push answered (entry stored) ${name}: ${fmtMs(pick(one.acked))} on 1 process, ${fmtMs(pick(two.acked))} on 2`,
          `from the push's answer to each subscriber ${name}: ${one.afterStored ? fmtMs(pick(one.afterStored)) : '-'} on 1 process, ${two.afterStored ? fmtMs(pick(two.afterStored)) : '-'} on 2 (a subscriber may be woken before the answer reaches the writer: 0 then)`,
        ],
      })
    }
    const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`
    figures.push({
      name: 'Relay memory per connected client (signed in, subscribed)',
      value: kib(mem.perClient),
      reference: `${kib(mem.perBare)} per bare WebSocket`,
      ratio: mem.perClient / Math.max(1, mem.perBare),
      target: 'reported',
      met: true,
      notes: [
        `resident memory after GC, growth over the second of two steps of ${mem.step} of each kind in a fresh relay process (bare sockets first, kept open); the first steps grew ${kib(mem.firstBare)} per bare socket and ${kib(mem.firstClients)} per client, with what the process grows once`,
        `JS heap and buffers over the same second steps: ${kib(mem.heapPerClient)} per client, ${kib(mem.heapPerBare)} per bare socket`,
      ],
    })
    const conns = Math.max(one.maxConnections, two.maxConnections)
    figures.push({
      name: 'PostgreSQL connections held by one relay process (pg_stat_activity)',
      value: `${conns}`,
      reference: `pool bound ${POOL_BOUND}`,
      ratio: conns / POOL_BOUND,
      // The main pool, the pool lock sections hold their advisory locks on (as large, apart, so a
      // section never waits for a connection its own work needs), and the listening connection.
      target: '<= 2.10 (pool + lock pool + a listener)',
      met: conns <= 2 * POOL_BOUND + 1,
      notes: ['largest count seen for any process, sampled every 200 ms through both latency runs'],
    })
    return figures
  } finally {
    await Promise.all(relays.map((r) => r.stop()))
  }
}

async function run(
  db: BenchDatabase,
  relays: readonly RelayProcess[],
  tenant: string,
  devices: readonly SigningKeyPair[],
  authors: EntryFactory,
  tag: string,
): Promise<LatencyRun> {
  // Client j of room i is on process (i + j) mod P: every room spans every process, and the
  // writers (client 0 of each room) alternate between them.
  const slots = Array.from({ length: ROOMS * PER_ROOM }, (_, k) => ({
    room: Math.floor(k / PER_ROOM),
    process: (Math.floor(k / PER_ROOM) + (k % PER_ROOM)) % relays.length,
  }))
  const clients = await inParallel(slots, SIGN_IN_WIDTH, (c) =>
    Subscriber.open(relays[c.process]!.url, tenant, devices[c.room]!, `${tag}-${c.room}`),
  )
  const connections = sampleConnections(
    db,
    relays.map((r) => r.name),
  )
  const latencies: number[] = []
  const acks: number[] = []
  const afterStored: number[] = []
  let pairs = 0
  try {
    const writers = Array.from(
      { length: ROOMS },
      (_, room) =>
        new RemoteChangeStore({
          connection: new ServerConnection({ url: relays[room % relays.length]!.url, tenant, key: devices[room]! }),
          db: `${tag}-${room}`,
        }),
    )
    await inParallel(writers, SIGN_IN_WIDTH, (w) => w.connection.token())
    for (let round = 0; round < ROUNDS; round++) {
      await Promise.all(
        writers.map(async (w, room) => {
          await new Promise((r) => setTimeout(r, Math.random() * ROUND_MS))
          const listeners = clients.slice(room * PER_ROOM + 1, (room + 1) * PER_ROOM)
          const arrived: number[] = []
          const wait = waitUntil(() => arrived.length === listeners.length, DELIVERY_WAIT_MS)
          // A listener holds this push once it has received round + 1 entries (a late one from
          // an earlier round is not taken for this one).
          const seen = new Set<Subscriber>()
          for (const l of listeners)
            l.onEntries = (at) => {
              if (seen.has(l) || l.received < round + 1) return
              seen.add(l)
              arrived.push(at)
              wait.poke()
            }
          const entry = envelope(authors.entry(room, [], 200))
          const start = performance.now()
          const r = await w.relay([entry])
          const storedAt = performance.now()
          acks.push(storedAt - start)
          if (r.added.length !== 1) throw new Error('a push was not stored')
          await wait.promise
          for (const at of arrived) latencies.push(at - start)
          for (const at of arrived) afterStored.push(Math.max(0, at - storedAt))
          pairs += listeners.length
        }),
      )
    }
  } finally {
    await connections.stop()
    for (const c of clients) c.close()
  }
  return {
    processes: relays.length,
    latency: latencies.length ? summarize(latencies) : undefined,
    delivered: latencies.length / pairs,
    acked: summarize(acks),
    afterStored: afterStored.length ? summarize(afterStored) : undefined,
    maxConnections: connections.max(),
  }
}

/** Round trips of a small message to an echo server on loopback, one at a time, with nothing else running. */
async function echoRoundTrips(url: string, n: number): Promise<LatencySummary> {
  const ws = await openBare(url)
  const times: number[] = []
  const payload = new Uint8Array(300)
  for (let i = 0; i < n + 20; i++) {
    const t = performance.now()
    await new Promise((r) => {
      ws.once('message', r)
      ws.send(payload)
    })
    if (i >= 20) times.push(performance.now() - t)
  }
  ws.close()
  return summarize(times)
}
