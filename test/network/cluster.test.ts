import { createServer } from 'node:http'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { generateSigningKeyPair, ready, type SigningKeyPair } from '@weft/core/backend'
import { EntryFactory } from '@weft/core/testing'
import { registerMembers, ServerConnection } from '@weft/client'
import { decodeBody, encodeBody, MSGPACK_TYPE, signChallenge, SOCKET_CLOSE, type WireEntry } from '@weft/protocol'
import { WebSocket } from 'ws'
import {
  adminQuery,
  createTestDatabase,
  type TestDatabase,
} from '../../packages/store-postgres/test/helpers/pgDatabase.ts'
import { startCluster, type ClusterProcesses } from './helpers/clusterProcesses.ts'
import { admin, closed, openEvents, TEST_ADMIN_KEY as KEY } from './helpers/tenancy.ts'

/** Most entries a tenant stores in these clusters. */
const MAX_ENTRIES = 60

/** POSTs a MessagePack body; the status and the decoded answer (or the error's JSON). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function post(url: string, path: string, body: unknown, token?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': MSGPACK_TYPE, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: encodeBody(body) as BodyInit,
  })
  const bytes = new Uint8Array(await res.arrayBuffer())
  return {
    status: res.status,
    body: res.ok ? decodeBody(bytes, 1 << 24) : JSON.parse(new TextDecoder().decode(bytes)),
  }
}

/** A tenant registered through the first process: its admin, one member key, and an entry author. */
async function tenantOn(urls: string[], tenant: string) {
  const adminKey = generateSigningKeyPair()
  const member = generateSigningKeyPair()
  const author = new EntryFactory(7)
  await registerMembers({
    url: urls[0]!,
    tenant,
    admin: adminKey,
    seq: 1,
    add: [member.publicKey, author.signer.publicKey],
  })
  let n = 0
  return {
    tenant,
    adminKey,
    member,
    /** `count` new entries. */
    entries: (count: number): WireEntry[] =>
      Array.from({ length: count }, () => author.entry(n++, [], 64)).map((e) => ({ hash: e.hash, bytes: e.bytes })),
    /** A connection of the member to process `i` (it signs in there). */
    on: (i: number, key: SigningKeyPair = member) => new ServerConnection({ url: urls[i]!, tenant, key }),
  }
}

/** Opens the tenant's socket on `url` with `token`. */
function socket(url: string, tenant: string, token: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/t/${tenant}/ws?token=${token}`)
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => reject(new Error(`socket refused: ${res.statusCode}`)))
    ws.on('error', () => {})
  })
}

beforeAll(() => ready())

/** Each group of processes on a database of its own, in one of the isolation models (so each model runs across processes). */
describe.each([
  [2, 'schema'],
  [3, 'shared'],
] as const)('%i relay processes over one PostgreSQL (%s)', (n, isolation) => {
  let db: TestDatabase
  let cluster: ClusterProcesses
  let urls: string[]
  beforeAll(async () => {
    db = await createTestDatabase(`cluster${n}`)
    cluster = await startCluster(n, { pgUrl: db.url, adminKey: KEY, maxEntriesPerTenant: MAX_ENTRIES, isolation })
    urls = cluster.urls
  }, 60_000)
  afterAll(async () => {
    await cluster?.stop()
    await db?.drop()
  })

  it('a client signs in on one process and pushes, reads and opens its socket on the others', async () => {
    const t = await tenantOn(urls, `signin-${n}`)
    const token = await t.on(0).token()
    for (const [i, url] of urls.entries()) {
      const pushed = await post(url, `/v1/t/${t.tenant}/db/notes/push`, { entries: t.entries(1) }, token)
      expect(pushed, `process ${i}`).toMatchObject({ status: 200 })
      const usage = await post(url, `/v1/t/${t.tenant}/usage`, {}, token)
      expect(usage.body.entries).toBe(i + 1)
      ;(await socket(url, t.tenant, token)).close()
    }
  })

  it('a signed challenge opens one session, on any process, and is refused by every process after', async () => {
    const t = await tenantOn(urls, `challenge-${n}`)
    const asked = await post(urls[0]!, `/v1/t/${t.tenant}/challenge`, { publicKey: t.member.publicKey })
    const { challenge, serverId } = asked.body as { challenge: Uint8Array; serverId: string }
    const server = urls[0]!
    const signature = signChallenge({ origin: server, serverId }, t.tenant, challenge, t.member)
    const answer = { publicKey: t.member.publicKey, challenge, server, serverId, signature }
    const first = await post(urls[n - 1]!, `/v1/t/${t.tenant}/session`, answer)
    expect(first.status).toBe(200)
    for (const url of urls) {
      const again = await post(url, `/v1/t/${t.tenant}/session`, answer)
      expect(again).toMatchObject({ status: 401, body: { code: 'WEFT_UNAUTHORIZED' } })
    }
  })

  it('one tenant pushing through every process at once ends exactly at its entry quota', async () => {
    const t = await tenantOn(urls, `quota-${n}`)
    const connections = urls.map((_, i) => t.on(i))
    const batches = connections.map(() => Array.from({ length: 8 }, () => t.entries(10)))
    const added = await Promise.all(
      connections.map(async (c, i) => {
        let stored = 0
        for (const entries of batches[i]!) {
          const r = await c.db('notes', 'push', { entries })
          stored += r.results.filter((x) => x.status === 'added').length
        }
        return stored
      }),
    )
    expect(added.reduce((a, b) => a + b, 0)).toBe(MAX_ENTRIES)
    for (const c of connections) expect((await c.usage()).entries).toBe(MAX_ENTRIES)
  })

  it('a member revoked through one process is refused by every process at once, and its sockets everywhere close', async () => {
    const t = await tenantOn(urls, `revoke-${n}`)
    const tokens = await Promise.all(urls.map((_, i) => t.on(i).token()))
    const sockets = await Promise.all(urls.map((url, i) => socket(url, t.tenant, tokens[i]!)))
    const closes = sockets.map(closed)
    await registerMembers({
      url: urls[0]!,
      tenant: t.tenant,
      admin: t.adminKey,
      seq: 2,
      add: [],
      revoke: [t.member.publicKey],
    })
    for (const [i, url] of urls.entries()) {
      const refused = await post(url, `/v1/t/${t.tenant}/usage`, {}, tokens[i])
      expect(refused, `process ${i}`).toMatchObject({ status: 403, body: { code: 'WEFT_FORBIDDEN' } })
    }
    for (const c of await Promise.all(closes)) expect(c.code).toBe(SOCKET_CLOSE.FORBIDDEN)
    // Admitted again, the key signs in anew: the sessions the revocation ended stay ended everywhere.
    await registerMembers({ url: urls[0]!, tenant: t.tenant, admin: t.adminKey, seq: 3, add: [t.member.publicKey] })
    for (const [i, url] of urls.entries()) {
      const ended = await post(url, `/v1/t/${t.tenant}/usage`, {}, tokens[i])
      expect(ended, `process ${i}`).toMatchObject({ status: 401, body: { code: 'WEFT_UNAUTHORIZED' } })
    }
    expect(await post(urls[n - 1]!, `/v1/t/${t.tenant}/usage`, {}, await t.on(0).token())).toMatchObject({
      status: 200,
    })
  })
})

describe('three relay processes: rates, statistics and events (hybrid, a database per tenant)', () => {
  let db: TestDatabase
  let cluster: ClusterProcesses
  let urls: string[]
  beforeAll(async () => {
    db = await createTestDatabase('clusterhybrid')
    cluster = await startCluster(3, { pgUrl: db.url, adminKey: KEY, isolation: 'hybrid', defaultModel: 'database' })
    urls = cluster.urls
  }, 60_000)
  afterAll(async () => {
    await cluster?.stop()
    await db?.drop()
  })

  it("a tenant's request rate, set through one process, holds across all of them together", async () => {
    const t = await tenantOn(urls, 'rates')
    const connections = urls.map((_, i) => t.on(i))
    const tokens = await Promise.all(connections.map((c) => c.token()))
    const patched = await admin(urls[0]!, 'PATCH', `/v1/admin/tenants/${t.tenant}`, {
      key: KEY,
      body: { quotas: { tenantRequestsPerSecond: 2, tenantBurst: 6 } },
    })
    expect(patched.status).toBe(200)
    const started = Date.now()
    const answers = await Promise.all(
      Array.from({ length: 36 }, (_, i) => post(urls[i % 3]!, `/v1/t/${t.tenant}/usage`, {}, tokens[i % 3])),
    )
    const seconds = (Date.now() - started) / 1000
    const ok = answers.filter((a) => a.status === 200).length
    expect(ok).toBeGreaterThanOrEqual(1)
    expect(ok).toBeLessThanOrEqual(6 + Math.ceil(2 * seconds))
    for (const a of answers.filter((x) => x.status !== 200)) expect(a).toMatchObject({ status: 429 })
  })

  it('every process answers the same statistics: requests and live connections summed over processes', async () => {
    const t = await tenantOn(urls, 'stats')
    const connections = urls.map((_, i) => t.on(i))
    for (const [i, c] of connections.entries()) for (let k = 0; k <= i; k++) await c.usage()
    const sockets = await Promise.all(connections.map(async (c, i) => socket(urls[i]!, t.tenant, await c.token())))
    const read = () => Promise.all(urls.map((url) => admin(url, 'GET', `/v1/tenants/${t.tenant}/stats`, { key: KEY })))
    await vi.waitFor(
      async () => {
        const answers = await read()
        for (const a of answers) expect(a.status).toBe(200)
        const figures = answers.map((a) => ({ requests: a.body.requests, live: a.body.liveConnections }))
        expect(figures[0]!.live).toBe(3)
        for (const f of figures) expect(f).toEqual(figures[0])
      },
      { timeout: 10_000, interval: 100 },
    )
    const [answer] = await read()
    // The six usage calls at least (sign-ins count too), each counted once whichever process served it.
    expect(answer!.body.requests.lastHour.requests).toBeGreaterThanOrEqual(6)
    expect(answer!.body.requests.lastDay).toEqual(answer!.body.requests.lastHour)
    for (const ws of sockets) ws.close()
  })

  it("an event emitted on one process reaches every process's subscribers exactly once, and its webhook once", async () => {
    const t = await tenantOn(urls, 'events')
    // A webhook, configured through another process than the one that will emit.
    const hooked: string[] = []
    const receiver = createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        hooked.push(body)
        res.end()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    const hook = { url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/`, secret: 's'.repeat(32) }
    await t.on(0).usage() // adopted into the catalogue
    const patched = await admin(urls[1]!, 'PATCH', `/v1/admin/tenants/${t.tenant}`, {
      key: KEY,
      body: { config: { webhooks: [hook] } },
    })
    expect(patched.status).toBe(200)
    const streams = await Promise.all(urls.map((url) => openEvents(url, `/v1/tenants/${t.tenant}/events`, KEY)))
    for (const s of streams) expect(s.status).toBe(200)
    // Every stream is subscribed once its process reports it (summed over processes).
    await vi.waitFor(
      async () => {
        const stats = await admin(urls[0]!, 'GET', `/v1/tenants/${t.tenant}/stats`, { key: KEY })
        expect(stats.body.eventStreams).toBe(3)
      },
      { timeout: 10_000, interval: 100 },
    )
    const c = t.on(0)
    const stored = (s: (typeof streams)[number]) => s.events.filter((e) => e.type === 'entry-stored')
    await c.db('notes', 'push', { entries: t.entries(1) })
    await vi.waitFor(() => streams.forEach((s) => expect(stored(s).length).toBeGreaterThanOrEqual(1)), {
      timeout: 10_000,
    })
    // A second event after it: once every stream has it, any copy of the first would have come before.
    await c.db('notes', 'push', { entries: t.entries(2) })
    await vi.waitFor(() => streams.forEach((s) => expect(stored(s).length).toBeGreaterThanOrEqual(2)), {
      timeout: 10_000,
    })
    for (const s of streams) {
      expect(stored(s).map((e) => e.data.count)).toEqual([1, 2])
      expect(stored(s).every((e) => e.tenant === t.tenant)).toBe(true)
      s.close()
    }
    // Webhooks are posted in order per process: once the second has come, a copy of the first would have too.
    const hookedStored = () => hooked.filter((b) => JSON.parse(b).type === 'entry-stored')
    await vi.waitFor(() => expect(hookedStored().length).toBeGreaterThanOrEqual(2), { timeout: 10_000 })
    expect(hookedStored().map((b) => JSON.parse(b).data.count)).toEqual([1, 2])
    receiver.close()
  })

  it('placed the tenant whose entries those processes stored in a PostgreSQL database of its own', async () => {
    const placed = await adminQuery<{ id: string; model: string; location: string }>(
      "SELECT id, model, location FROM weft_tenants WHERE id = 'events'",
      [],
      db.name,
    )
    expect(placed.rows).toMatchObject([{ id: 'events', model: 'database' }])
    const found = await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [placed.rows[0]!.location])
    expect(found.rowCount).toBe(1)
    for (const url of urls) {
      const record = await admin(url, 'GET', '/v1/admin/tenants/events', { key: KEY })
      expect(record.body, url).toMatchObject({ id: 'events', isolation: 'database' })
    }
  })
})
