import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, generateSigningKeyPair, LocalClusterHub, MemoryStoreFactory, ready } from '@weft/core/backend'
import { EntryFactory } from '@weft/core/testing'
import { registerMembers, resetTenant, ServerConnection } from '@weft/client'
import { SOCKET_CLOSE } from '@weft/protocol'
import { WeftServer } from '@weft/server'
import { WebSocket } from 'ws'
import { codeOf } from './helpers/http.ts'
import { admin, closed, TEST_ADMIN_KEY as KEY } from './helpers/tenancy.ts'

/**
 * Two servers in this process over one in-memory storage, joined by a `LocalClusterHub` (the
 * `cluster.bus` option): what one changes, the other acts on at once. The PostgreSQL case, with
 * separate OS processes, is cluster.test.ts.
 */
let servers: WeftServer[]
let a: WeftServer
let b: WeftServer
beforeAll(async () => {
  await ready()
  const storeFactory = new MemoryStoreFactory()
  const hub = new LocalClusterHub()
  servers = await Promise.all(
    [0, 1].map(() =>
      WeftServer.start({
        storeFactory,
        cluster: { bus: hub.bus(), statsIntervalMs: 100 },
        tenancy: { adminKey: KEY },
        limits: { requestsPerSecond: 100_000, burst: 100_000 },
      }),
    ),
  )
  ;[a, b] = servers as [WeftServer, WeftServer]
})
afterAll(async () => {
  for (const s of servers) await s.close()
})

/** A tenant registered through `a`, with a member who also authors entries. */
async function tenant(id: string) {
  const adminKey = generateSigningKeyPair()
  const author = new EntryFactory(3)
  await registerMembers({ url: a.url, tenant: id, admin: adminKey, seq: 1, add: [author.signer.publicKey] })
  let n = 0
  return {
    id,
    adminKey,
    author,
    on: (s: WeftServer) => new ServerConnection({ url: s.url, tenant: id, key: author.signer }),
    entries: (count: number) =>
      Array.from({ length: count }, () => author.entry(n++, [], 32)).map((e) => ({ hash: e.hash, bytes: e.bytes })),
  }
}

function socket(s: WeftServer, tenant: string, token: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${s.url.replace('http', 'ws')}/v1/t/${tenant}/ws?token=${token}`)
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_q, res) => reject(new Error(`refused ${res.statusCode}`)))
    ws.on('error', () => {})
  })
}

describe('servers joined by a cluster bus', () => {
  it('suspending a tenant through one refuses it on the other and closes its sockets there; resuming through the other serves it again', async () => {
    const t = await tenant('suspended')
    const onB = t.on(b)
    const ws = await socket(b, t.id, await onB.token())
    const closing = closed(ws)
    expect((await admin(a.url, 'POST', `/v1/admin/tenants/${t.id}/suspend`, { key: KEY })).status).toBe(200)
    expect(await codeOf(onB.usage())).toBe(ErrorCodes.TENANT_SUSPENDED)
    expect((await closing).code).toBe(SOCKET_CLOSE.FORBIDDEN)
    expect((await admin(b.url, 'POST', `/v1/admin/tenants/${t.id}/resume`, { key: KEY })).status).toBe(200)
    expect(await codeOf(t.on(a).usage())).toBeUndefined()
  })

  it("a tenant's settings changed through one apply on the other at once: live push switched off closes its sockets, a quota holds", async () => {
    const t = await tenant('settings')
    const onB = t.on(b)
    const ws = await socket(b, t.id, await onB.token())
    const closing = closed(ws)
    const patch = { flags: { livePush: false }, quotas: { maxEntriesPerTenant: 3 } }
    expect((await admin(a.url, 'PATCH', `/v1/admin/tenants/${t.id}`, { key: KEY, body: patch })).status).toBe(200)
    expect((await closing).code).toBe(SOCKET_CLOSE.FORBIDDEN)
    const r = await onB.db('notes', 'push', { entries: t.entries(5) })
    expect(r.results.map((x) => x.status)).toEqual(['added', 'added', 'added', 'rejected', 'rejected'])
    expect((await t.on(a).usage()).entries).toBe(3)
  })

  it('a reset through one ends sessions on the other, which then serves the new registration from empty data', async () => {
    const t = await tenant('reset')
    const onB = t.on(b)
    await onB.db('notes', 'push', { entries: t.entries(4) })
    expect((await onB.usage()).entries).toBe(4)
    const token = await onB.token()
    const ws = await socket(b, t.id, token)
    const closing = closed(ws)
    await resetTenant({ url: a.url, tenant: t.id, signer: t.adminKey, seq: 10 })
    expect([SOCKET_CLOSE.SIGN_IN_AGAIN, SOCKET_CLOSE.FORBIDDEN]).toContain((await closing).code)
    const stale = await fetch(`${b.url}/v1/t/${t.id}/usage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/vnd.weft.v1+msgpack' },
      body: new Uint8Array([0x80]),
    })
    expect(stale.status).toBe(401)
    await registerMembers({ url: b.url, tenant: t.id, admin: t.adminKey, seq: 11, add: [t.author.signer.publicKey] })
    expect((await t.on(b).usage()).entries).toBe(0)
    expect((await t.on(a).usage()).entries).toBe(0)
  })

  it('mailbox numbers stay dense and its quota exact when members post through both servers at once', async () => {
    const t = await tenant('mail')
    const patch = { quotas: { maxMailMessagesPerTenant: 10 } }
    expect((await admin(b.url, 'PATCH', `/v1/admin/tenants/${t.id}`, { key: KEY, body: patch })).status).toBe(200)
    const connections = [t.on(a), t.on(b)]
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        connections[i % 2]!.mail('put', { body: new Uint8Array([i]) }).then(
          (r) => r.seq,
          (err: unknown) => (err as { code?: string }).code,
        ),
      ),
    )
    const seqs = answers.filter((x): x is number => typeof x === 'number').sort((x, y) => x - y)
    expect(seqs).toEqual(Array.from({ length: 10 }, (_, i) => i + 1))
    expect(answers.filter((x) => x === ErrorCodes.QUOTA_EXCEEDED)).toHaveLength(6)
    for (const c of connections) expect((await c.usage()).mailMessages).toBe(10)
  })

  it('databases and bytes quotas hold when a tenant opens and pushes through both servers at once', async () => {
    const t = await tenant('sizes')
    const one = t.entries(1)[0]!.bytes.length
    const patch = { quotas: { maxDatabasesPerTenant: 2, maxBytesPerTenant: 5 * one } }
    expect((await admin(a.url, 'PATCH', `/v1/admin/tenants/${t.id}`, { key: KEY, body: patch })).status).toBe(200)
    const connections = [t.on(a), t.on(b)]
    const opened = await Promise.all(
      ['d1', 'd2', 'd3', 'd4'].map((db, i) => codeOf(connections[i % 2]!.db(db, 'push', { entries: [] }))),
    )
    expect(opened.filter((c) => c === undefined)).toHaveLength(2)
    expect(opened.filter((c) => c === ErrorCodes.QUOTA_EXCEEDED)).toHaveLength(2)
    const db = ['d1', 'd2', 'd3', 'd4'][opened.indexOf(undefined)]!
    const pushes = await Promise.all(
      Array.from({ length: 6 }, (_, i) => connections[i % 2]!.db(db, 'push', { entries: t.entries(2) })),
    )
    const added = pushes.flatMap((p) => p.results).filter((r) => r.status === 'added').length
    expect(added).toBe(5)
    for (const c of connections) expect(await c.usage()).toMatchObject({ entries: 5, bytes: 5 * one, databases: 2 })
  })

  it('a tenant deleted through one is refused by the other, which closes its sockets', async () => {
    const t = await tenant('deleted')
    const onB = t.on(b)
    const ws = await socket(b, t.id, await onB.token())
    const closing = closed(ws)
    expect((await admin(a.url, 'DELETE', `/v1/admin/tenants/${t.id}`, { key: KEY })).status).toBe(200)
    expect([SOCKET_CLOSE.SIGN_IN_AGAIN, SOCKET_CLOSE.FORBIDDEN]).toContain((await closing).code)
    expect(await codeOf(onB.usage())).toBe(ErrorCodes.UNAUTHORIZED)
    expect((await admin(b.url, 'GET', `/v1/admin/tenants/${t.id}`, { key: KEY })).status).toBe(404)
  })

  it('pushes of one tenant through both servers in any mix never pass its entry quota, and both report the same use (property)', async () => {
    let run = 0
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.array(
          fc.record({
            server: fc.integer({ min: 0, max: 1 }),
            count: fc.integer({ min: 1, max: 4 }),
            again: fc.boolean(),
          }),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        async (max, pushes) => {
          const t = await tenant(`prop-${run++}`)
          const patch = { quotas: { maxEntriesPerTenant: max } }
          expect((await admin(b.url, 'PATCH', `/v1/admin/tenants/${t.id}`, { key: KEY, body: patch })).status).toBe(200)
          const connections = [t.on(a), t.on(b)]
          let previous = t.entries(0)
          const batches = pushes.map((p) => (previous = p.again && previous.length ? previous : t.entries(p.count)))
          const results = await Promise.all(
            pushes.map((p, i) => connections[p.server]!.db('notes', 'push', { entries: batches[i]! })),
          )
          const distinct = new Set(batches.flat().map((e) => e.hash)).size
          const added = results.flatMap((r) => r.results).filter((r) => r.status === 'added').length
          expect(added).toBe(Math.min(max, distinct))
          const [onA, onB] = await Promise.all(connections.map((c) => c.usage()))
          expect(onA!.entries).toBe(added)
          expect(onB!.entries).toBe(added)
        },
      ),
      { numRuns: 12 },
    )
  })
})
