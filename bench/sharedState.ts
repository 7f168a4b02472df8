import { generateSigningKeyPair } from '@weft/core/backend'
import { EntryFactory } from '@weft/core/testing'
import { registerMembers, ServerConnection } from '@weft/client'
import type { WireEntry } from '@weft/protocol'
import { WeftServer } from '@weft/server'
import { Identifiers, PostgresStoreFactory } from '@weft/store-postgres'
import pg from 'pg'
import { startEmbeddedPostgres } from '../test/helpers/embeddedPostgres.ts'
import { fmtRate, median, progress, type Figure } from './report.ts'

const CLIENTS = 8
const REQUESTS_PER_CLIENT = 150
const BATCH = 50
const BATCHES_PER_CLIENT = 6
/** Passes of signed-in requests alone and shared, in turn. */
const REQUEST_PAIRS = 5
/** Passes of single-entry pushes alone and shared, in turn, and the pushes of each client in each. */
const SINGLE_PAIRS = 3
const SINGLES_PER_CLIENT = 30

/** A tenant on the servers at `urls` with `CLIENTS` signed-in connections spread over them, and entries to push. */
async function tenantOn(urls: string[], tenant: string) {
  const admin = generateSigningKeyPair()
  const author = new EntryFactory(11)
  await registerMembers({ url: urls[0]!, tenant, admin, seq: 1, add: [author.signer.publicKey] })
  const connections = Array.from(
    { length: CLIENTS },
    (_, i) => new ServerConnection({ url: urls[i % urls.length]!, tenant, key: author.signer }),
  )
  await Promise.all(connections.map((c) => c.token()))
  let n = 0
  const pushes = (count: number, size: number) =>
    Array.from({ length: count }, () =>
      Array.from({ length: size }, (): WireEntry => {
        const e = author.entry(n++, [], 200)
        return { hash: e.hash, bytes: e.bytes }
      }),
    )
  const batches = pushes(CLIENTS * BATCHES_PER_CLIENT, BATCH)
  // Fresh entries for each pass: a push of entries held already stores nothing.
  const singles = Array.from({ length: SINGLE_PAIRS }, () => pushes(CLIENTS * SINGLES_PER_CLIENT, 1))
  return { connections, batches, singles }
}

/** Signed-in requests a second (`usage`, the smallest), with every client asking in a loop. */
async function requestRate(connections: ServerConnection[]): Promise<number> {
  const start = performance.now()
  await Promise.all(
    connections.map(async (c) => {
      for (let i = 0; i < REQUESTS_PER_CLIENT; i++) await c.usage()
    }),
  )
  return (connections.length * REQUESTS_PER_CLIENT) / ((performance.now() - start) / 1000)
}

/** Entries stored a second, every client pushing its share of `batches` in turn. */
async function pushRate(connections: ServerConnection[], batches: WireEntry[][]): Promise<number> {
  const each = batches.length / connections.length
  const start = performance.now()
  await Promise.all(
    connections.map(async (c, i) => {
      for (let k = 0; k < each; k++) await c.db('notes', 'push', { entries: batches[i * each + k]! })
    }),
  )
  return batches.reduce((s, b) => s + b.length, 0) / ((performance.now() - start) / 1000)
}

/**
 * What sharing a server's state across processes costs (`npm run bench -- shared`): signed-in
 * requests and pushes through one server on PostgreSQL that shares its state (versions checked,
 * the tenant's rate bucket, locks around quota counts) beside the same server with `cluster: false`,
 * and pushes through two servers over the same database (two pools, two buses) beside one.
 */
export async function benchSharedState(): Promise<Figure[]> {
  const given = process.env.WEFT_BENCH_PG_URL
  const embedded = given ? undefined : await startEmbeddedPostgres({ durable: true })
  const adminUrl = given ?? embedded!.url
  const dbName = `weft_bench_shared_${process.pid}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${dbName}`)
  const url = new URL(adminUrl)
  url.pathname = `/${dbName}`
  const servers: WeftServer[] = []
  const start = async (cluster: false | undefined) => {
    const s = await WeftServer.start({
      storeFactory: new PostgresStoreFactory({ url: url.toString() }),
      limits: { requestsPerSecond: 1_000_000, burst: 1_000_000 },
      quotas: { tenantRequestsPerSecond: 1_000_000, tenantBurst: 1_000_000 },
      ...(cluster === false ? { cluster } : {}),
    })
    servers.push(s)
    return s
  }
  try {
    const alone = await start(false)
    const shared = await start(undefined)
    const other = await start(undefined)
    progress('shared state: signed-in requests and pushes, alone and shared')
    const a = await tenantOn([alone.url], 'alone')
    const s = await tenantOn([shared.url], 'shared')
    const two = await tenantOn([shared.url, other.url], 'two')
    // A warm-up pass of each, untimed: the first requests through a server compile its paths.
    await requestRate(a.connections)
    await requestRate(s.connections)
    // Pairs in turn, so a slow spell of the machine falls on both sides of a pair.
    const alonePasses: number[] = []
    const sharedPasses: number[] = []
    for (let i = 0; i < REQUEST_PAIRS; i++) {
      alonePasses.push(await requestRate(a.connections))
      sharedPasses.push(await requestRate(s.connections))
    }
    const requestsAlone = median(alonePasses)
    const requestsShared = median(sharedPasses)
    const pairRatios = sharedPasses.map((r, i) => r / alonePasses[i]!)
    const requestRatio = median(pairRatios)
    const pushAlone = await pushRate(a.connections, a.batches)
    const pushShared = await pushRate(s.connections, s.batches)
    const pushTwo = await pushRate(two.connections, two.batches)
    const singlesAlone: number[] = []
    const singlesShared: number[] = []
    for (let i = 0; i < SINGLE_PAIRS; i++) {
      singlesAlone.push(await pushRate(a.connections, a.singles[i]!))
      singlesShared.push(await pushRate(s.connections, s.singles[i]!))
    }
    const singleRatios = singlesShared.map((r, i) => r / singlesAlone[i]!)
    return [
      {
        name: `Signed-in requests through a server sharing its state (${CLIENTS} clients)`,
        value: fmtRate(requestsShared, 'requests'),
        reference: `${fmtRate(requestsAlone, 'requests')} alone (cluster: false)`,
        ratio: requestRatio,
        target: '>= 0.50',
        met: requestRatio >= 0.5,
        notes: [
          "each request (`usage`) is up to four PostgreSQL statements the server alone does not make, each a named prepared statement: the tenant's version, tokens from its rate bucket (a lease of up to 32 taken by one request, spent by the next ones for 250 ms), then at once the mailbox's version and the use record (read without the tenant's lock)",
          `${REQUEST_PAIRS} passes of each, in turn; the figures are medians, the ratio the median of each pair's (${pairRatios.map((r) => r.toFixed(2)).join(', ')})`,
        ],
      },
      {
        name: `Pushes (batches of ${BATCH}) through a server sharing its state`,
        value: fmtRate(pushShared, 'entries'),
        reference: `${fmtRate(pushAlone, 'entries')} alone`,
        ratio: pushShared / pushAlone,
        target: '>= 0.60',
        met: pushShared / pushAlone >= 0.6,
        notes: ["each push also takes the tenant's usage lock and moves its usage version"],
      },
      {
        name: `Single-entry pushes through a server sharing its state (${CLIENTS} clients)`,
        value: fmtRate(median(singlesShared), 'pushes'),
        reference: `${fmtRate(median(singlesAlone), 'pushes')} alone`,
        ratio: median(singleRatios),
        target: 'reported',
        met: true,
        notes: [
          'what an app editing live pays: a push of one entry is mostly round trips to PostgreSQL, 9 shared and 5 alone (test/network/postgresRoundTrips.test.ts counts them)',
          `${SINGLE_PAIRS} passes of ${CLIENTS * SINGLES_PER_CLIENT} pushes each, in turn; medians, the ratio the median of each pair's (${singleRatios.map((r) => r.toFixed(2)).join(', ')})`,
        ],
      },
      {
        name: 'Pushes of one tenant through two servers over one PostgreSQL',
        value: fmtRate(pushTwo, 'entries'),
        reference: `${fmtRate(pushShared, 'entries')} through one`,
        ratio: pushTwo / pushShared,
        target: '>= 0.70',
        met: pushTwo / pushShared >= 0.7,
        notes: ["one tenant's pushes queue on its usage lock across servers; different tenants do not"],
      },
    ]
  } finally {
    for (const s of servers) await s.close()
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
    await admin.query(`DROP ROLE IF EXISTS ${Identifiers.appRole(dbName)}`)
    await admin.end()
    await embedded?.stop()
  }
}
