import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, generateSigningKeyPair, packHashes, ready, type SigningKeyPair } from '@weft/core/backend'
import { EntryFactory } from '@weft/core/testing'
import { registerMembers, ServerConnection } from '@weft/client'
import {
  decodeBody,
  encodeBody,
  type ClientSocketMessage,
  type PushResult,
  type ServerSocketMessage,
  type WireEntry,
} from '@weft/protocol'
import { DEFAULT_QUOTAS, WeftServer, type TenantQuota } from '@weft/server'
import { LevelStoreFactory } from '@weft/store-level'
import { WebSocket } from 'ws'
import { codeOf } from './helpers/http.ts'

const cli = fileURLToPath(new URL('../../packages/server/src/cli.ts', import.meta.url))
/** Per-client limits out of the way: these tests are about the per-tenant ones. */
const fastClients = { requestsPerSecond: 100_000, burst: 100_000 }
/** Small defaults, so a test tenant without an override reaches them quickly. */
const smallDefaults = { maxBytesPerTenant: 64 * 1024, maxEntriesPerTenant: 50, maxDatabasesPerTenant: 3 }
/** Per-tenant overrides, read by the servers' `forTenant` hook on every request. */
const overrides = new Map<string, Partial<TenantQuota>>()
const forTenant = (tenant: string) => overrides.get(tenant)

let server: WeftServer
let dir: string

beforeAll(async () => {
  await ready()
  dir = await mkdtemp(join(tmpdir(), 'weft-quota-'))
  server = await WeftServer.start({
    storeFactory: new LevelStoreFactory({ path: join(dir, 'shared') }),
    limits: fastClients,
    quotas: { ...smallDefaults, forTenant },
  })
})
afterAll(async () => {
  await server.close()
  await rm(dir, { recursive: true, force: true })
})

let n = 0

/** A tenant on `url` whose entries are authored by `factory.signer`, with `devices` signed-in member keys. */
async function tenantOn(
  url: string,
  options: { quota?: Partial<TenantQuota>; devices?: number; tenant?: string } = {},
) {
  const tenant = options.tenant ?? `quota-${process.pid}-${++n}`
  if (options.quota) overrides.set(tenant, options.quota)
  const admin = generateSigningKeyPair()
  const factory = new EntryFactory(4)
  const keys: SigningKeyPair[] = Array.from({ length: options.devices ?? 1 }, () => generateSigningKeyPair())
  await registerMembers({
    url,
    tenant,
    admin,
    seq: 1,
    add: [factory.signer.publicKey, ...keys.map((k) => k.publicKey)],
  })
  const connections = keys.map((key) => new ServerConnection({ url, tenant, key }))
  const connection = connections[0]!
  return {
    tenant,
    admin,
    keys,
    factory,
    connections,
    connection,
    /** `count` new entries of `payload` bytes of ciphertext each (entry bytes are a little more). */
    entries: (count: number, payload = 200): WireEntry[] =>
      Array.from({ length: count }, (_, i) => factory.entry(i, [], payload)).map((e) => ({
        hash: e.hash,
        bytes: e.bytes,
      })),
    push: (entries: WireEntry[], db = 'notes', via = connection) =>
      via.db(db, 'push', { entries }).then((r) => r.results),
    held: async (entries: WireEntry[], db = 'notes', via = connection) =>
      (await via.db(db, 'has', { hashes: packHashes(entries.map((e) => e.hash)) })).held,
  }
}

const size = (entries: readonly WireEntry[]) => entries.reduce((s, e) => s + e.bytes.length, 0)
const statuses = (results: PushResult[]) => results.map((r) => (r.status === 'rejected' ? r.code : r.status))

describe('per-tenant storage quota', () => {
  it('stores exactly the entries of a push that fit, rejects the rest per entry, and loses none of them', async () => {
    const t = await tenantOn(server.url)
    const es = t.entries(6, 300)
    const fit = size(es.slice(0, 3))
    overrides.set(t.tenant, { maxBytesPerTenant: fit + es[3]!.bytes.length - 1 }) // room for three and most of a fourth
    const results = await t.push(es)
    expect(statuses(results)).toEqual([
      'added',
      'added',
      'added',
      ErrorCodes.QUOTA_EXCEEDED,
      ErrorCodes.QUOTA_EXCEEDED,
      ErrorCodes.QUOTA_EXCEEDED,
    ])
    expect(results.map((r) => r.hash)).toEqual(es.map((e) => e.hash))
    expect(await t.held(es)).toEqual([true, true, true, false, false, false])
    expect(await t.connection.usage()).toMatchObject({
      bytes: fit,
      entries: 3,
      databases: 1,
      limits: { maxBytes: fit + es[3]!.bytes.length - 1 },
    })

    // A smaller entry that would fit in what is left is refused too when it comes after one that did not:
    // what a push leaves out is always its tail, so a stored change never follows a missing one.
    const tiny = t.entries(1, 1)
    expect(statuses(await t.push([es[3]!, tiny[0]!]))).toEqual([ErrorCodes.QUOTA_EXCEEDED, ErrorCodes.QUOTA_EXCEEDED])
    expect(statuses(await t.push(tiny))).toEqual(['added'])

    // The refused entries were not lost: with more room, the same push stores them.
    overrides.set(t.tenant, { maxBytesPerTenant: 1 << 20 })
    expect(statuses(await t.push(es))).toEqual(['existing', 'existing', 'existing', 'added', 'added', 'added'])
    expect(await t.held(es)).toEqual(Array(6).fill(true))
    expect(await t.connection.usage()).toMatchObject({ bytes: size(es) + size(tiny), entries: 7 })
  })

  it('enforces the entry count the same way', async () => {
    const t = await tenantOn(server.url, { quota: { maxEntriesPerTenant: 4 } })
    expect(statuses(await t.push(t.entries(3)))).toEqual(['added', 'added', 'added'])
    expect(statuses(await t.push(t.entries(3), 'other'))).toEqual([
      'added',
      ErrorCodes.QUOTA_EXCEEDED,
      ErrorCodes.QUOTA_EXCEEDED,
    ])
    expect(await t.connection.usage()).toMatchObject({ entries: 4, databases: 2, limits: { maxEntries: 4 } })
  })

  it('never counts an entry it already holds: re-pushes and duplicates in one push are free, even at the quota', async () => {
    const t = await tenantOn(server.url, { quota: { maxEntriesPerTenant: 3 } })
    const es = t.entries(3)
    expect(statuses(await t.push(es))).toEqual(['added', 'added', 'added'])
    const before = await t.connection.usage()
    expect(before).toMatchObject({ bytes: size(es), entries: 3 })
    // At the quota: held entries are `existing`, never refused, and cost nothing.
    expect(statuses(await t.push(es))).toEqual(['existing', 'existing', 'existing'])
    expect(statuses(await t.push([es[1]!, es[1]!, es[0]!]))).toEqual(['existing', 'existing', 'existing'])
    expect(await t.connection.usage()).toEqual(before)
    // A hash twice in one push is stored and counted once.
    const u = await tenantOn(server.url, { quota: { maxEntriesPerTenant: 1 } })
    const [x] = u.entries(1)
    expect(statuses(await u.push([x!, x!]))).toEqual(['added', 'existing'])
    expect(await u.connection.usage()).toMatchObject({ entries: 1, bytes: x!.bytes.length })
    // Over the quota, every copy of a new entry is refused.
    const [y] = u.entries(1)
    expect(statuses(await u.push([y!, y!]))).toEqual([ErrorCodes.QUOTA_EXCEEDED, ErrorCodes.QUOTA_EXCEEDED])
  })

  it('keeps tenants apart: one tenant at its quota does not limit another', async () => {
    const full = await tenantOn(server.url, { quota: { maxEntriesPerTenant: 2 } })
    const other = await tenantOn(server.url, { quota: { maxEntriesPerTenant: 2 } })
    expect(statuses(await full.push(full.entries(3)))).toEqual(['added', 'added', ErrorCodes.QUOTA_EXCEEDED])
    expect(statuses(await other.push(other.entries(2)))).toEqual(['added', 'added'])
    // The same entries pushed by both count for each tenant that stores them.
    const shared = full.entries(1)
    overrides.set(full.tenant, { maxEntriesPerTenant: 3 })
    expect(statuses(await full.push(shared))).toEqual(['added'])
    expect((await full.connection.usage()).entries).toBe(3)
    expect((await other.connection.usage()).entries).toBe(2)
  })

  it('lets an operator give one tenant more than the defaults', async () => {
    const plain = await tenantOn(server.url)
    const big = await tenantOn(server.url, { quota: { maxEntriesPerTenant: 120 } })
    const es = plain.entries(60, 10)
    const r = await plain.push(es)
    expect(r.filter((x) => x.status === 'added')).toHaveLength(smallDefaults.maxEntriesPerTenant)
    expect(
      r
        .slice(smallDefaults.maxEntriesPerTenant)
        .every((x) => x.status === 'rejected' && x.code === ErrorCodes.QUOTA_EXCEEDED),
    ).toBe(true)
    expect(statuses(await big.push(big.entries(60, 10)))).toEqual(Array(60).fill('added'))
    expect((await big.connection.usage()).limits).toEqual({
      maxBytes: smallDefaults.maxBytesPerTenant,
      maxEntries: 120,
      maxDatabases: smallDefaults.maxDatabasesPerTenant,
      maxMembers: DEFAULT_QUOTAS.maxMembersPerTenant,
      maxMailMessages: DEFAULT_QUOTAS.maxMailMessagesPerTenant,
      maxMailBytes: DEFAULT_QUOTAS.maxMailBytesPerTenant,
      requestsPerSecond: 5 * fastClients.requestsPerSecond,
      burst: 5 * fastClients.burst,
    })
    // Infinity lifts a limit; the usage operation reports it as null.
    overrides.set(big.tenant, { maxEntriesPerTenant: Infinity })
    expect((await big.connection.usage()).limits.maxEntries).toBeNull()
  })

  it("refuses a database beyond the tenant's database count, over HTTP and the live socket, and keeps serving the others", async () => {
    const t = await tenantOn(server.url, { quota: { maxDatabasesPerTenant: 2 } })
    expect(statuses(await t.push(t.entries(1), 'a'))).toEqual(['added'])
    await t.connection.db('b', 'head', {}) // reading a database opens it too
    expect(await codeOf(t.push(t.entries(1), 'c'))).toBe(ErrorCodes.QUOTA_EXCEEDED)
    expect(await codeOf(t.connection.db('c', 'head', {}))).toBe(ErrorCodes.QUOTA_EXCEEDED)
    const res = await fetch(`${server.url}${t.connection.tenantPath}/db/c/head`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await t.connection.token()}`,
        'content-type': 'application/vnd.weft.v1+msgpack',
      },
      body: new Uint8Array([0x80]),
    })
    expect(res.status).toBe(507)
    expect((await res.json()).code).toBe(ErrorCodes.QUOTA_EXCEEDED)
    const token = await t.connection.token()
    const socketError = await new Promise<ServerSocketMessage>((resolve, reject) => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}${t.connection.tenantPath}/ws?token=${token}`)
      ws.on('open', () =>
        ws.send(encodeBody({ type: 'subscribe', db: 'c', since: null } satisfies ClientSocketMessage)),
      )
      ws.on('message', (data) => {
        resolve(decodeBody<ServerSocketMessage>(new Uint8Array(data as Buffer), 1 << 20))
        ws.close()
      })
      ws.on('error', reject)
    })
    expect(socketError).toMatchObject({ type: 'error', code: ErrorCodes.QUOTA_EXCEEDED })
    expect(statuses(await t.push(t.entries(1, 7), 'b'))).toEqual(['added'])
    expect(await t.connection.usage()).toMatchObject({ entries: 2, databases: 2 })
    // Another tenant is not affected.
    const other = await tenantOn(server.url, { quota: { maxDatabasesPerTenant: 2 } })
    expect(statuses(await other.push(other.entries(1), 'c'))).toEqual(['added'])
  })

  it('reports usage across databases to any signed-in member, and only to members', async () => {
    const t = await tenantOn(server.url, { devices: 2 })
    expect(await t.connection.usage()).toMatchObject({ bytes: 0, entries: 0, databases: 0 })
    const a = t.entries(4, 100)
    const b = t.entries(2, 1_000)
    await t.push(a, 'a')
    await t.push([...b, a[0]!], 'b') // the same entry in two databases is stored, and counted, twice
    const expected = { bytes: size(a) + size(b) + a[0]!.bytes.length, entries: 7, databases: 2 }
    expect(await t.connections[1]!.usage()).toMatchObject(expected)
    const stranger = new ServerConnection({ url: server.url, tenant: t.tenant, key: generateSigningKeyPair() })
    expect(await codeOf(stranger.usage())).toBe(ErrorCodes.UNAUTHORIZED)
    const res = await fetch(`${server.url}${t.connection.tenantPath}/usage`, {
      method: 'POST',
      body: new Uint8Array([0x80]),
    })
    expect(res.status).toBe(401)
  })

  it('survives a restart on the same LevelDB folder: usage, quota and database count', async () => {
    const path = join(dir, 'restart')
    const options = { limits: fastClients, quotas: { ...smallDefaults, forTenant } }
    let s = await WeftServer.start({ storeFactory: new LevelStoreFactory({ path }), ...options })
    const t = await tenantOn(s.url, { quota: { maxEntriesPerTenant: 8, maxDatabasesPerTenant: 2 } })
    await t.push(t.entries(5, 150), 'a')
    await t.push(t.entries(2, 700), 'b')
    const before = await t.connection.usage()
    expect(before).toMatchObject({ entries: 7, databases: 2 })
    await s.close()

    s = await WeftServer.start({ storeFactory: new LevelStoreFactory({ path }), ...options })
    try {
      const conn = new ServerConnection({ url: s.url, tenant: t.tenant, key: t.keys[0]! })
      expect(await conn.usage()).toEqual(before)
      const more = t.entries(3, 10)
      expect(statuses(await t.push(more, 'a', conn))).toEqual([
        'added',
        ErrorCodes.QUOTA_EXCEEDED,
        ErrorCodes.QUOTA_EXCEEDED,
      ])
      expect(await codeOf(t.push(more, 'c', conn))).toBe(ErrorCodes.QUOTA_EXCEEDED)
      expect(await conn.usage()).toMatchObject({
        entries: 8,
        bytes: before.bytes + more[0]!.bytes.length,
        databases: 2,
      })
    } finally {
      await s.close()
    }
  })

  it('counts exactly what a killed server stored: never under, and the quota holds after the restart', async () => {
    const path = join(dir, 'killed')
    const quota = 150
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', cli, '--port', '0', '--data', path, '--max-entries-per-tenant', String(quota)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    const exited = new Promise((r) => child.once('exit', r))
    const line = (await createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next()).value as string
    const url = /listening on (\S+)/.exec(line)![1]!
    const t = await tenantOn(url, { devices: 5, tenant: `killed-${process.pid}` })
    const batches = t.connections.map(() => Array.from({ length: 8 }, () => t.entries(10, 100)))
    let acknowledged = 0
    let settled = false
    const pushing = Promise.allSettled(
      t.connections.map(async (c, i) => {
        for (const batch of batches[i]!) {
          await t.push(batch, 'db', c)
          acknowledged += batch.length
        }
      }),
    ).finally(() => void (settled = true))
    while (acknowledged < 60 && !settled) await new Promise((r) => setTimeout(r, 2))
    child.kill('SIGKILL') // mid-push: other batches are on the wire
    await exited
    await pushing

    const s = await WeftServer.start({
      storeFactory: new LevelStoreFactory({ path }),
      limits: fastClients,
      quotas: { maxEntriesPerTenant: quota },
    })
    try {
      // The registrations were kept too: the same member keys sign in to the restarted server.
      const conns = t.keys.map((key) => new ServerConnection({ url: s.url, tenant: t.tenant, key }))
      const all = batches.flat(2)
      const held = await t.held(all, 'db', conns[0])
      const stored = all.filter((_, i) => held[i])
      expect(stored.length).toBeGreaterThanOrEqual(60)
      expect(await conns[0]!.usage()).toMatchObject({ entries: stored.length, bytes: size(stored) })
      // Everything again, from all five clients at once: the tenant ends exactly at its quota.
      await Promise.all(conns.map((c, i) => Promise.all(batches[i]!.map((b) => t.push(b, 'db', c)))))
      expect(await conns[0]!.usage()).toMatchObject({ entries: quota })
      expect((await conns[0]!.db('db', 'head', {})).count).toBe(quota)
    } finally {
      await s.close()
    }
  })
})

describe('concurrent pushes from many clients of one tenant', () => {
  it('never take the tenant over its quota, and every entry is stored or refused for the quota (property)', async () => {
    // One tenant with 10 signed-in clients; each run pushes fresh entries to two fresh databases of it.
    const shared = await tenantOn(server.url, { devices: 10 })
    const pool = shared.factory
    let run = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 10, maxLength: 40 }),
        fc.array(
          fc.array(fc.tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), fc.boolean()), {
            minLength: 1,
            maxLength: 3,
          }),
          {
            minLength: 10,
            maxLength: 10,
          },
        ),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 2_000, max: 40_000 }),
        fc.scheduler(),
        async (sizes, plans, maxEntries, maxBytes, s) => {
          run++
          const dbs = [`r${run}-a`, `r${run}-b`]
          const entries: WireEntry[] = sizes
            .map((payload, i) => pool.entry(i, [], payload))
            .map((e) => ({ hash: e.hash, bytes: e.bytes }))
          // Quotas are set over what earlier runs left, so each run has exactly the room it drew.
          const base = await shared.connection.usage()
          overrides.set(shared.tenant, {
            maxEntriesPerTenant: base.entries + maxEntries,
            maxBytesPerTenant: base.bytes + maxBytes,
            maxDatabasesPerTenant: Infinity,
          })
          const outcomes: { db: string; sent: WireEntry[]; results: PushResult[] }[] = []
          const client = async (i: number) => {
            for (const [picks, second] of plans[i]!) {
              const sent = picks.map((p) => entries[p % entries.length]!)
              const db = dbs[second ? 1 : 0]!
              await s.schedule(Promise.resolve(), `client ${i} → ${db}`)
              outcomes.push({ db, sent, results: await shared.push(sent, db, shared.connections[i]) })
            }
          }
          await s.waitFor(Promise.all(plans.map((_, i) => client(i))))

          let bytes = 0
          let count = 0
          for (const db of dbs) {
            const held = await shared.held(entries, db)
            const stored = entries.filter((_, i) => held[i])
            bytes += size(stored)
            count += stored.length
            for (const o of outcomes.filter((x) => x.db === db)) {
              let refused = false
              o.results.forEach((r, k) => {
                const isHeld = held[entries.indexOf(o.sent[k]!)]
                if (r.status === 'rejected') {
                  expect(r.code).toBe(ErrorCodes.QUOTA_EXCEEDED)
                  refused = true
                } else {
                  expect(isHeld).toBe(true) // added or existing: stored
                  if (refused && r.status === 'added')
                    expect.fail('an entry was added after one of the same push was refused')
                }
              })
            }
          }
          expect(count).toBeLessThanOrEqual(maxEntries)
          expect(bytes).toBeLessThanOrEqual(maxBytes)
          const after = await shared.connection.usage()
          expect({ bytes: after.bytes - base.bytes, entries: after.entries - base.entries }).toEqual({
            bytes,
            entries: count,
          })
        },
      ),
      { numRuns: 12 },
    )
  })
})

describe('per-tenant request rate', () => {
  it('answers 429 with retry-after once the sessions of one tenant together pass its rate, and spares other tenants', async () => {
    const t = await tenantOn(server.url, { devices: 3, quota: { tenantRequestsPerSecond: 0.25, tenantBurst: 6 } })
    const other = await tenantOn(server.url, { devices: 1, quota: { tenantRequestsPerSecond: 0.25, tenantBurst: 6 } })
    const tokens = await Promise.all(t.connections.map((c) => c.token())) // signing in is not counted against the tenant
    const head = (token: string, tenantPath = t.connection.tenantPath) =>
      fetch(`${server.url}${tenantPath}/db/notes/head`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/vnd.weft.v1+msgpack' },
        body: new Uint8Array([0x80]),
      })
    const answers: Response[] = []
    for (let i = 0; i < 9; i++) answers.push(await head(tokens[i % 3]!)) // three requests per session: each far under the per-client rate
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200, 429, 429, 429])
    const refused = answers[6]!
    expect((await refused.json()).code).toBe(ErrorCodes.RATE_LIMITED)
    // One request every 4 s at 0.25 a second, less what has built up since the burst was spent.
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(2)
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(4)
    // The live socket counts too.
    const upgrade = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}${t.connection.tenantPath}/ws?token=${tokens[0]}`)
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.on('open', () => {
        resolve(101)
        ws.close()
      })
      ws.on('error', () => {})
    })
    expect(upgrade).toBe(429)
    // Another tenant on the same server is not slowed down.
    expect((await head(await other.connection.token(), other.connection.tenantPath)).status).toBe(200)
    // Raising the tenant's rate takes effect at once.
    overrides.set(t.tenant, { tenantRequestsPerSecond: 1e6, tenantBurst: 1e6 })
    expect((await head(tokens[1]!)).status).toBe(200)
  })
})
