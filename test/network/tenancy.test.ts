import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, ready } from '@weft/core/backend'
import { SOCKET_CLOSE } from '@weft/protocol'
import { WeftServer } from '@weft/server'
import { codeOf } from './helpers/http.ts'
import { eventually } from './helpers/devices.ts'
import { admin, closed, memberOf, openEvents, TEST_ADMIN_KEY as KEY } from './helpers/tenancy.ts'

let server: WeftServer
let url: string
let n = 0
const fresh = () => `tn-${process.pid}-${++n}`
const fast = { requestsPerSecond: 100_000, burst: 100_000 }

beforeAll(async () => {
  await ready()
  server = await WeftServer.start({ limits: fast, tenancy: { adminKey: KEY } })
  url = server.url
})
afterAll(() => server.close())

describe('tenant lifecycle through the admin API', () => {
  it('creates, reads, lists in pages, updates; the default tenant is there from the start', async () => {
    const created = await admin(url, 'POST', '/v1/admin/tenants', {
      key: KEY,
      body: {
        id: 'acme-lc',
        name: 'Acme',
        quotas: { maxEntriesPerTenant: 5, maxBytesPerTenant: null },
        flags: { beta: true },
      },
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      id: 'acme-lc',
      name: 'Acme',
      isolation: 'shared',
      status: 'active',
      quotas: { maxEntriesPerTenant: 5, maxBytesPerTenant: null },
      flags: { beta: true },
    })
    expect((await admin(url, 'POST', '/v1/admin/tenants', { key: KEY, body: { id: 'acme-lc' } })).body.code).toBe(
      ErrorCodes.TENANT_EXISTS,
    )
    expect((await admin(url, 'GET', '/v1/admin/tenants/acme-lc', { key: KEY })).body.name).toBe('Acme')
    expect((await admin(url, 'GET', '/v1/admin/tenants/nope', { key: KEY })).status).toBe(404)
    for (const id of ['p-1', 'p-2', 'p-3']) await admin(url, 'POST', '/v1/admin/tenants', { key: KEY, body: { id } })
    const seen: string[] = []
    let after: string | undefined
    do {
      const page = await admin(url, 'GET', `/v1/admin/tenants?limit=2${after ? `&after=${after}` : ''}`, { key: KEY })
      expect(page.body.tenants.length).toBeLessThanOrEqual(2)
      seen.push(...page.body.tenants.map((t: { id: string }) => t.id))
      after = page.body.next
    } while (after)
    expect(seen).toEqual([...seen].sort())
    expect(seen).toEqual(expect.arrayContaining(['acme-lc', 'default', 'p-1', 'p-2', 'p-3']))
    const patched = await admin(url, 'PATCH', '/v1/admin/tenants/acme-lc', { key: KEY, body: { name: 'Acme Ltd' } })
    expect(patched.body).toMatchObject({ name: 'Acme Ltd', flags: { beta: true } })
    expect(patched.body.updatedAt).toBeGreaterThanOrEqual(created.body.updatedAt)
  })

  it('refuses bodies that are not what the API takes, and bodies over its size', async () => {
    const bad = async (body: unknown) => (await admin(url, 'POST', '/v1/admin/tenants', { key: KEY, body })).body.code
    expect(await bad({ id: 'x', extra: 1 })).toBe(ErrorCodes.INVALID_ARGUMENT)
    expect(await bad({ id: 'a/b' })).toBe(ErrorCodes.INVALID_ARGUMENT)
    expect(await bad({ id: 'x', quotas: { maxBytesPerTenant: -1 } })).toBe(ErrorCodes.INVALID_ARGUMENT)
    expect(await bad({ id: 'x', config: { webhooks: [{ url: 'ftp://x', secret: 'y'.repeat(20) }] } })).toBe(
      ErrorCodes.INVALID_ARGUMENT,
    )
    expect(await bad({ id: 'x', flags: { livePush: 'yes' } })).toBe(ErrorCodes.INVALID_ARGUMENT)
    expect(await bad([1, 2])).toBe(ErrorCodes.INVALID_ARGUMENT)
    const raw = await fetch(`${url}/v1/admin/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
      body: '{"id": ',
    })
    expect((await raw.json()).code).toBe(ErrorCodes.PROTOCOL)
    const big = await admin(url, 'POST', '/v1/admin/tenants', {
      key: KEY,
      body: { id: 'x', name: 'n'.repeat(100_000) },
    })
    expect([big.status, big.body.code]).toEqual([413, ErrorCodes.PAYLOAD_TOO_LARGE])
  })

  it('suspends: every operation of its members is refused, open sockets close, data is kept; resume serves again', async () => {
    const tenant = fresh()
    const m = await memberOf(url, tenant)
    const es = m.entries(3)
    expect((await m.push(es)).map((r) => r.status)).toEqual(['added', 'added', 'added'])
    const token = await m.connection.token()
    const { ws } = await m.socket(token)
    const wsClosed = closed(ws!)

    const s = await admin(url, 'POST', `/v1/admin/tenants/${tenant}/suspend`, { key: KEY })
    expect(s.body.status).toBe('suspended')
    const close = await wsClosed
    expect(close.code).toBe(SOCKET_CLOSE.FORBIDDEN)
    expect(close.reason).toContain(ErrorCodes.TENANT_SUSPENDED)
    expect(await codeOf(m.push(m.entries(1)))).toBe(ErrorCodes.TENANT_SUSPENDED)
    expect(await codeOf(m.connection.usage())).toBe(ErrorCodes.TENANT_SUSPENDED)
    m.connection.invalidate() // a new sign-in is refused as well
    expect(await codeOf(m.connection.token())).toBe(ErrorCodes.TENANT_SUSPENDED)
    const refused = await m.socket(token)
    expect(refused.status).toBe(403)
    expect(refused.body).toContain(ErrorCodes.TENANT_SUSPENDED)

    expect((await admin(url, 'POST', `/v1/admin/tenants/${tenant}/resume`, { key: KEY })).body.status).toBe('active')
    expect(await m.connection.usage()).toMatchObject({ entries: 3 })
    expect((await m.push(es)).map((r) => r.status)).toEqual(['existing', 'existing', 'existing'])
  })

  it('a resume of a tenant being deleted, or a lifecycle step on an unknown tenant, is refused', async () => {
    expect((await admin(url, 'POST', '/v1/admin/tenants/ghost/suspend', { key: KEY })).body.code).toBe(
      ErrorCodes.TENANT_NOT_FOUND,
    )
    expect((await admin(url, 'DELETE', '/v1/admin/tenants/default', { key: KEY })).body.code).toBe(
      ErrorCodes.TENANT_STATE,
    )
  })

  it('exports a tenant as a stream of its records and entries, still ciphertext', async () => {
    const tenant = fresh()
    const m = await memberOf(url, tenant)
    const es = m.entries(40, 300)
    await m.push(es.slice(0, 20), 'a')
    await m.push(es.slice(20), 'b')
    const res = await fetch(`${url}/v1/admin/tenants/${tenant}/export`, { headers: { authorization: `Bearer ${KEY}` } })
    expect(res.headers.get('content-type')).toBe('application/x-ndjson')
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines[0]).toMatchObject({ type: 'tenant', tenant: { id: tenant, adopted: true } })
    expect(lines.filter((l) => l.type === 'record').map((l) => l.key)).toContain(`tenant/${tenant}`)
    expect(lines.filter((l) => l.type === 'database').map((l) => l.name)).toEqual(['a', 'b'])
    const exported = lines.filter((l) => l.type === 'entry')
    expect(exported.map((l) => l.hash)).toEqual(es.map((e) => e.hash))
    expect(Buffer.from(exported[0].bytes, 'base64url')).toEqual(Buffer.from(es[0]!.bytes))
    expect(lines.at(-1)).toEqual({ type: 'end', databases: 2, entries: 40 })
  })
})

describe('API keys', () => {
  it('shows a key once, stores no secret, and a tenant key reads its own tenant only', async () => {
    const tenant = fresh()
    const other = fresh()
    await memberOf(url, tenant)
    await memberOf(url, other)
    const made = await admin(url, 'POST', '/v1/admin/keys', {
      key: KEY,
      body: { name: 'stats reader', scopes: [`tenant:${tenant}:read-stats`] },
    })
    expect(made.status).toBe(201)
    expect(made.body.key).toMatch(/^weft_[A-Za-z0-9_-]{16}_[A-Za-z0-9_-]{43}$/)
    expect(made.body).toMatchObject({ tenant, prefix: made.body.key.slice(5, 21) })
    const listed = await admin(url, 'GET', '/v1/admin/keys', { key: KEY })
    const mine = listed.body.keys.find((k: { prefix: string }) => k.prefix === made.body.prefix)
    expect(mine).toMatchObject({ name: 'stats reader', tenant })
    expect(JSON.stringify(listed.body)).not.toContain(made.body.key.slice(22))
    expect(mine.lastUsedAt).toBeUndefined()

    const key = made.body.key as string
    expect((await admin(url, 'GET', `/v1/tenants/${tenant}/stats`, { key })).body.tenant).toBe(tenant)
    // The key names its tenant: no path or header needed.
    expect((await admin(url, 'GET', '/v1/tenant/stats', { key })).body.tenant).toBe(tenant)
    const listedAgain = await admin(url, 'GET', '/v1/admin/keys', { key: KEY })
    expect(listedAgain.body.keys.find((k: { prefix: string }) => k.prefix === made.body.prefix).lastUsedAt).toBeTypeOf(
      'number',
    )
    // Another tenant's stats, by path or by header, are refused; so is the admin API.
    expect((await admin(url, 'GET', `/v1/tenants/${other}/stats`, { key })).body.code).toBe(ErrorCodes.FORBIDDEN)
    const header = await admin(url, 'GET', '/v1/tenant/stats', { key, headers: { 'x-tenant-id': other } })
    expect([header.status, header.body.code]).toEqual([403, ErrorCodes.FORBIDDEN])
    const both = await admin(url, 'GET', `/v1/tenants/${tenant}/stats`, { key, headers: { 'x-tenant-id': other } })
    expect(both.body.code).toBe(ErrorCodes.TENANT_MISMATCH)
    expect((await admin(url, 'GET', '/v1/admin/tenants', { key })).body.code).toBe(ErrorCodes.FORBIDDEN)
    expect((await admin(url, 'GET', `/v1/tenants/${tenant}/events`, { key })).body.code).toBe(ErrorCodes.FORBIDDEN)

    // Revoked: refused like an unknown key.
    expect((await admin(url, 'DELETE', `/v1/admin/keys/${made.body.prefix}`, { key: KEY })).body.revokedAt).toBeTypeOf(
      'number',
    )
    const revoked = await admin(url, 'GET', `/v1/tenants/${tenant}/stats`, { key })
    expect([revoked.status, revoked.body.code]).toEqual([401, ErrorCodes.UNAUTHORIZED])
  })

  it('refuses guessed, forged and malformed keys with the same answer', async () => {
    const made = await admin(url, 'POST', '/v1/admin/keys', {
      key: KEY,
      body: { name: 'x', scopes: ['admin:tenants'] },
    })
    const key = made.body.key as string
    const forged = key.slice(0, 22) + (key[22] === 'A' ? 'B' : 'A') + key.slice(23) // right prefix, wrong secret
    const guessed = `weft_${'Z'.repeat(16)}_${'Z'.repeat(43)}`
    for (const k of [forged, guessed, 'weft_short', 'x'.repeat(5000), key.slice(0, -1)]) {
      const r = await admin(url, 'GET', '/v1/admin/tenants', { key: k })
      expect([r.status, r.body]).toEqual([
        401,
        { code: ErrorCodes.UNAUTHORIZED, message: 'unknown or revoked API key' },
      ])
    }
    expect((await admin(url, 'GET', '/v1/admin/tenants')).status).toBe(401)
    expect((await admin(url, 'GET', '/v1/admin/tenants', { key })).status).toBe(200)
    // A member's session token is not an API key.
    const m = await memberOf(url, fresh())
    expect((await admin(url, 'GET', '/v1/admin/tenants', { key: await m.connection.token() })).status).toBe(401)
  })

  it('refuses scopes it does not know, and keys scoped to two tenants', async () => {
    const make = async (scopes: unknown) =>
      (await admin(url, 'POST', '/v1/admin/keys', { key: KEY, body: { name: 'x', scopes } })).body.code
    expect(await make(['root'])).toBe(ErrorCodes.INVALID_ARGUMENT)
    expect(await make(['tenant:a:read-stats', 'tenant:b:read-stats'])).toBe(ErrorCodes.INVALID_ARGUMENT)
    expect(await make(['admin:tenants', 'tenant:a:read-stats'])).toBe(ErrorCodes.INVALID_ARGUMENT)
    expect(await make([])).toBe(ErrorCodes.INVALID_ARGUMENT)
  })
})

describe('statistics', () => {
  it('reports entries, bytes, databases, devices, live connections, requests and refusals, quota use', async () => {
    const tenant = fresh()
    const m = await memberOf(url, tenant)
    const es = m.entries(5, 200)
    await m.push(es.slice(0, 3), 'a')
    await m.push(es.slice(3), 'b')
    await admin(url, 'PATCH', `/v1/admin/tenants/${tenant}`, { key: KEY, body: { quotas: { maxEntriesPerTenant: 6 } } })
    const over = await m.push(m.entries(2), 'a')
    expect(over.map((r) => (r.status === 'rejected' ? r.code : r.status))).toEqual(['added', ErrorCodes.QUOTA_EXCEEDED])
    const { ws } = await m.socket()
    const stats = (await admin(url, 'GET', `/v1/tenants/${tenant}/stats`, { key: KEY })).body
    const bytes = es.reduce((s, e) => s + e.bytes.length, 0)
    expect(stats).toMatchObject({
      tenant,
      status: 'active',
      entries: 6,
      databases: 2,
      devices: 3, // the tenant admin's key, the entry author's and the member's
      members: null,
      liveConnections: 1,
      quota: { entries: { used: 6, limit: 6 }, databases: { used: 2, limit: 1000 } },
    })
    expect(stats.bytes).toBeGreaterThan(bytes)
    expect(stats.requests.lastHour.requests).toBeGreaterThanOrEqual(4)
    expect(stats.requests.lastDay.requests).toBe(stats.requests.lastHour.requests)
    ws!.close()
    // A refused request counts as a refusal.
    await admin(url, 'POST', `/v1/admin/tenants/${tenant}/suspend`, { key: KEY })
    await codeOf(m.connection.usage())
    const after = (await admin(url, 'GET', `/v1/tenants/${tenant}/stats`, { key: KEY })).body
    expect(after.status).toBe('suspended')
    expect(after.requests.lastHour.refusals).toBe(stats.requests.lastHour.refusals + 1)
  })
})

describe('per-tenant configuration and flags', () => {
  it('live push off refuses sockets and closes open ones; members read their settings', async () => {
    const tenant = fresh()
    const m = await memberOf(url, tenant)
    const token = await m.connection.token()
    const settings = async () =>
      (await fetch(`${url}/v1/settings`, { headers: { authorization: `Bearer ${token}` } })).json()
    expect(await settings()).toMatchObject({ tenant, flags: { livePush: true, mailbox: true } })
    const { ws } = await m.socket()
    const wsClosed = closed(ws!)
    await admin(url, 'PATCH', `/v1/admin/tenants/${tenant}`, { key: KEY, body: { flags: { livePush: false } } })
    expect((await wsClosed).reason).toContain(ErrorCodes.FEATURE_DISABLED)
    const refused = await m.socket()
    expect([refused.status, JSON.parse(refused.body!).code]).toEqual([403, ErrorCodes.FEATURE_DISABLED])
    expect(await settings()).toMatchObject({ flags: { livePush: false } })
    // Members read settings; they cannot change them (the admin API needs a key).
    const write = await admin(url, 'PATCH', `/v1/admin/tenants/${tenant}`, { key: token, body: { flags: {} } })
    expect(write.status).toBe(401)
  })

  it('a lower maximum entry size refuses larger entries of this tenant only; mailbox off refuses the mailbox', async () => {
    const tenant = fresh()
    const m = await memberOf(url, tenant)
    await admin(url, 'PATCH', `/v1/admin/tenants/${tenant}`, {
      key: KEY,
      body: { config: { maxEntryBytes: 1024 }, flags: { mailbox: false } },
    })
    const results = await m.push([...m.entries(1, 100), ...m.entries(1, 4000)])
    expect(results.map((r) => (r.status === 'rejected' ? r.code : r.status))).toEqual([
      'added',
      ErrorCodes.ENTRY_TOO_LARGE,
    ])
    expect(await codeOf(m.connection.mail('list', { after: 0 }))).toBe(ErrorCodes.FEATURE_DISABLED)
    const other = await memberOf(url, fresh())
    expect((await other.push(other.entries(1, 4000))).map((r) => r.status)).toEqual(['added'])
  })
})

describe('events', () => {
  it("a tenant's subscriber gets its events and never another tenant's", async () => {
    const a = await memberOf(url, fresh())
    const b = await memberOf(url, fresh())
    const keyA = (
      await admin(url, 'POST', '/v1/admin/keys', {
        key: KEY,
        body: { name: 'a', scopes: [`tenant:${a.tenant}:events`] },
      })
    ).body.key
    const streamA = await openEvents(url, `/v1/tenants/${a.tenant}/events`, keyA)
    const adminB = await openEvents(url, `/v1/tenants/${b.tenant}/events`, KEY)
    expect([streamA.status, adminB.status]).toEqual([200, 200])
    await eventually(() => server.tenancy.events.listeners(a.tenant) === 1, 5_000)
    // A's key cannot open B's stream.
    expect((await admin(url, 'GET', `/v1/tenants/${b.tenant}/events`, { key: keyA })).body.code).toBe(
      ErrorCodes.FORBIDDEN,
    )

    await b.push(b.entries(3))
    await a.push(a.entries(2))
    await admin(url, 'POST', `/v1/admin/tenants/${b.tenant}/suspend`, { key: KEY })
    await eventually(() => streamA.events.length >= 1 && adminB.events.length >= 2, 5_000, 'events')
    expect(streamA.events.map((e) => [e.type, e.tenant, e.data.count])).toEqual([['entry-stored', a.tenant, 2]])
    expect(adminB.events.map((e) => e.type)).toEqual(['entry-stored', 'tenant-suspended'])
    expect(adminB.events.every((e) => e.tenant === b.tenant)).toBe(true)
    streamA.close()
    adminB.close()
    await eventually(() => server.tenancy.events.listeners(a.tenant) === 0, 5_000, 'unsubscribed')
  })

  it('drops a subscriber that does not read, holding no more than its bound', async () => {
    const bound = 64 * 1024
    const small = await WeftServer.start({
      limits: fast,
      tenancy: { adminKey: KEY, events: { maxBufferedBytes: bound } },
    })
    try {
      const tenant = fresh()
      await admin(small.url, 'POST', '/v1/admin/tenants', { key: KEY, body: { id: tenant } })
      // A client that opens the stream and never reads from it.
      const { request } = await import('node:http')
      const req = request(`${small.url}/v1/tenants/${tenant}/events`, { headers: { authorization: `Bearer ${KEY}` } })
      const response = new Promise<import('node:http').IncomingMessage>((r) => req.on('response', r))
      req.on('error', () => {})
      req.end()
      const res = await response
      res.pause()
      res.on('error', () => {})
      await eventually(() => small.tenancy.events.listeners(tenant) === 1, 5_000)
      let peak = 0
      const name = 'n'.repeat(190)
      // Each update sends an event of about 4.5 KB, until the socket buffers and then the bound are full.
      const flags = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`f${i}`.padEnd(64, 'x'), true]))
      for (let i = 0; i < 10_000 && small.tenancy.events.listeners(tenant) > 0; i++) {
        await admin(small.url, 'PATCH', `/v1/admin/tenants/${tenant}`, { key: KEY, body: { name, flags } })
        peak = Math.max(peak, small.tenancy.streams.bufferedBytes())
      }
      expect(small.tenancy.events.listeners(tenant)).toBe(0)
      expect(small.tenancy.streams.dropped).toBe(1)
      expect(peak).toBeLessThanOrEqual(bound)
      expect(small.tenancy.streams.size).toBe(0)
      res.destroy()
    } finally {
      await small.close()
    }
  })
})

describe('bounds', () => {
  it('counts bad API keys against the client address, like bad session tokens', async () => {
    const strict = await WeftServer.start({ limits: { requestsPerSecond: 1, burst: 3 }, tenancy: { adminKey: KEY } })
    try {
      const codes: string[] = []
      for (let i = 0; i < 6; i++)
        codes.push((await admin(strict.url, 'GET', '/v1/admin/tenants', { key: 'weft_nope' })).body.code)
      expect(codes.slice(0, 3)).toEqual(Array(3).fill(ErrorCodes.UNAUTHORIZED))
      expect(codes.at(-1)).toBe(ErrorCodes.RATE_LIMITED)
    } finally {
      await strict.close()
    }
  })

  it('opens at most the configured number of event streams per tenant', async () => {
    const few = await WeftServer.start({ limits: fast, tenancy: { adminKey: KEY, events: { maxStreamsPerTenant: 2 } } })
    try {
      const streams = [await openEvents(few.url, '/v1/tenants/default/events', KEY)]
      streams.push(await openEvents(few.url, '/v1/tenants/default/events', KEY))
      const third = await admin(few.url, 'GET', '/v1/tenants/default/events', { key: KEY })
      expect([streams[0]!.status, streams[1]!.status, third.status, third.body.code]).toEqual([
        200,
        200,
        429,
        ErrorCodes.RATE_LIMITED,
      ])
      for (const s of streams) s.close()
    } finally {
      await few.close()
    }
  })

  it('exports a large tenant at the pace its reader reads, never reading far ahead', async () => {
    const { MemoryStoreFactory } = await import('@weft/core/backend')
    let read = 0
    const factory = new MemoryStoreFactory()
    const openChangeStore = factory.openChangeStore.bind(factory)
    factory.openChangeStore = async (name) => {
      const store = await openChangeStore(name)
      const getChanges = store.getChanges.bind(store)
      store.getChanges = async (hashes) => {
        const got = await getChanges(hashes)
        read += got.length
        return got
      }
      const getChangesUpTo = store.getChangesUpTo!.bind(store)
      store.getChangesUpTo = async (hashes, maxBytes) => {
        const got = await getChangesUpTo(hashes, maxBytes)
        read += got.entries.length
        return got
      }
      return store
    }
    const big = await WeftServer.start({ limits: fast, storeFactory: factory, tenancy: { adminKey: KEY } })
    try {
      const m = await memberOf(big.url, 'big')
      for (let i = 0; i < 8; i++) await m.push(m.entries(500, 10_000))
      read = 0
      const { request } = await import('node:http')
      const req = request(`${big.url}/v1/admin/tenants/big/export`, { headers: { authorization: `Bearer ${KEY}` } })
      const res = await new Promise<import('node:http').IncomingMessage>((r) => req.on('response', r).end())
      let received = 0
      res.on('data', (chunk: Buffer) => {
        received += chunk.length
        res.pause() // a reader that stops after its first chunk
      })
      await new Promise((r) => setTimeout(r, 1_000))
      // 4,000 entries of about 10 KB (54 MB as base64 lines): what was read is a page ahead of the socket's buffers, no more.
      expect(read).toBeLessThan(1_500)
      res.resume()
      res.removeAllListeners('data')
      res.on('data', (chunk: Buffer) => (received += chunk.length))
      await new Promise((r) => res.on('end', r))
      expect(read).toBe(4_000)
      expect(received).toBeGreaterThan(4_000 * 13_000)
    } finally {
      await big.close()
    }
  })
})

describe('more events', () => {
  it('reports member registrations, a quota warning once per crossing, and entries refused over quota', async () => {
    const tenant = fresh()
    await admin(url, 'POST', '/v1/admin/tenants', {
      key: KEY,
      body: { id: tenant, quotas: { maxEntriesPerTenant: 10 } },
    })
    const stream = await openEvents(url, `/v1/tenants/${tenant}/events`, KEY)
    const m = await memberOf(url, tenant)
    await m.push(m.entries(7))
    await m.push(m.entries(1)) // past 80 % of 10 entries: one warning
    await m.push(m.entries(1)) // still past it: no second warning
    await m.push(m.entries(3)) // one fits, two are refused
    await eventually(() => stream.events.some((e) => e.type === 'quota-refused'), 5_000, 'quota-refused')
    const types = stream.events.map((e) => e.type)
    expect(types).toEqual([
      'member-registered',
      'entry-stored',
      'entry-stored',
      'quota-warning',
      'entry-stored',
      'entry-stored',
      'quota-refused',
    ])
    expect(stream.events[0]!.data).toMatchObject({ members: 3, seq: 1 })
    expect(stream.events.at(-1)!.data).toMatchObject({ db: 'notes', count: 2 })
    stream.close()
  })
})

describe('the command line', () => {
  it('prints a new admin key in the key format, a different one each time', async () => {
    const { execFileSync } = await import('node:child_process')
    const cli = new URL('../../packages/server/src/cli.ts', import.meta.url).pathname
    const run = () => execFileSync('npx', ['tsx', cli, 'admin-key'], { encoding: 'utf8' }).trim()
    const [a, b] = [run(), run()]
    expect(a).toMatch(/^weft_[A-Za-z0-9_-]{16}_[A-Za-z0-9_-]{43}$/)
    expect(b).not.toBe(a)
  })
})
