import { createServer, type Server } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, generateSigningKeyPair, ready } from '@weft/core/backend'
import { registerMembers } from '@weft/client'
import { verifyWebhook, WeftServer } from '@weft/server'
import { LevelStoreFactory } from '@weft/store-level'
import { eventually } from './helpers/devices.ts'
import { codeOf } from './helpers/http.ts'
import { admin, memberOf, openEvents, TEST_ADMIN_KEY as KEY } from './helpers/tenancy.ts'

const fast = { requestsPerSecond: 100_000, burst: 100_000 }
let dir: string

beforeAll(async () => {
  await ready()
  dir = await mkdtemp(join(tmpdir(), 'weft-tenancy-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

/** Every key and value of a LevelDB folder, read raw. */
async function scan(path: string): Promise<{ keys: string[]; values: Buffer[] }> {
  const db = new Level<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
  await db.open()
  const keys: string[] = []
  const values: Buffer[] = []
  for await (const [k, v] of db.iterator()) {
    keys.push(k)
    values.push(Buffer.from(v))
  }
  await db.close()
  return { keys, values }
}

describe('deleting a tenant', () => {
  it('erases every store and record of the tenant from LevelDB, and nothing of the others', async () => {
    const path = join(dir, 'erase')
    const victim = `victim-${process.pid}`
    const keeper = `keeper-${process.pid}`
    let server = await WeftServer.start({
      storeFactory: new LevelStoreFactory({ path }),
      limits: fast,
      tenancy: { adminKey: KEY },
    })
    const v = await memberOf(server.url, victim)
    const k = await memberOf(server.url, keeper)
    const ves = v.entries(30, 500)
    await v.push(ves.slice(0, 10), 'orders')
    await v.push(ves.slice(10), 'notes')
    await v.connection.mail('put', { body: new Uint8Array(64).fill(7) })
    await k.push(k.entries(10, 500), 'orders')
    await admin(server.url, 'POST', '/v1/admin/keys', {
      key: KEY,
      body: { name: 'victim stats', scopes: [`tenant:${victim}:read-stats`] },
    })

    const watching = await openEvents(server.url, `/v1/tenants/${victim}/events`, KEY)
    const deleted = await admin(server.url, 'DELETE', `/v1/admin/tenants/${victim}`, { key: KEY })
    await watching.done // the tenant's event streams end with it, after its last event
    expect(watching.events.map((e) => e.type)).toEqual(['tenant-deleting'])
    expect(deleted.body).toMatchObject({ deleted: victim, databases: 2 })
    expect(deleted.body.records).toBeGreaterThanOrEqual(4) // registrations, two usage records, the mailbox
    expect((await admin(server.url, 'GET', `/v1/admin/tenants/${victim}`, { key: KEY })).status).toBe(404)
    expect(await codeOf(v.push(v.entries(1)))).toMatch(/WEFT_(UNAUTHORIZED|FORBIDDEN)/)
    expect((await admin(server.url, 'GET', `/v1/tenants/${keeper}/stats`, { key: KEY })).body.entries).toBe(10)
    const port = server.port
    await server.close()

    const { keys, values } = await scan(path)
    const victimBytes = Buffer.from(victim)
    expect(keys.filter((key) => key.includes(victim))).toEqual([])
    expect(values.filter((val) => val.includes(victimBytes))).toEqual([])
    for (const e of ves) {
      const piece = Buffer.from(e.bytes.subarray(e.bytes.length - 48)) // signature bytes of the entry
      expect(values.some((val) => val.includes(piece))).toBe(false)
    }
    expect(keys.some((key) => key.includes(keeper))).toBe(true)

    // After a restart the keeper is whole, and the victim's id can be registered anew by anyone.
    server = await WeftServer.start({ storeFactory: new LevelStoreFactory({ path }), limits: fast, port })
    try {
      expect(await k.connection.usage()).toMatchObject({ entries: 10 })
      const again = await memberOf(server.url, victim)
      expect(await again.connection.usage()).toMatchObject({ entries: 0, databases: 0 })
    } finally {
      await server.close()
    }
  })

  it('finishes at the next start a deletion that a stop interrupted', async () => {
    const path = join(dir, 'interrupted')
    const tenant = `half-${process.pid}`
    let server = await WeftServer.start({ storeFactory: new LevelStoreFactory({ path }), limits: fast })
    const m = await memberOf(server.url, tenant)
    await m.push(m.entries(5))
    await server.tenancy.catalogue.transition(tenant, 'delete') // marked, then the process stops
    await server.close()
    server = await WeftServer.start({ storeFactory: new LevelStoreFactory({ path }), limits: fast })
    try {
      await eventually(async () => (await server.tenancy.catalogue.get(tenant)) === undefined, 5_000, 'erasure')
      expect(await server.tenancy.data!.listDatabases(tenant)).toEqual([])
    } finally {
      await server.close()
    }
    expect((await scan(path)).keys.filter((key) => key.includes(tenant))).toEqual([])
  })
})

describe('webhooks', () => {
  let hook: Server
  let hookUrl: string
  const received: { body: string; signature: string | undefined }[] = []
  let failFirst = 0
  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        if (failFirst > 0) {
          failFirst--
          res.writeHead(503).end()
          return
        }
        received.push({ body, signature: req.headers['weft-signature'] as string | undefined })
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r))
    const a = hook.address() as { port: number }
    hookUrl = `http://127.0.0.1:${a.port}/hook`
  })
  afterAll(() => new Promise<void>((r) => hook.close(() => r())))

  it("posts a tenant's events signed with its secret, retrying failures, and none of another tenant's", async () => {
    const server = await WeftServer.start({
      limits: fast,
      tenancy: { adminKey: KEY, webhooks: { initialBackoffMs: 20, maxAttempts: 5 } },
    })
    try {
      const secret = 's'.repeat(32)
      const a = await memberOf(server.url, 'hooked')
      const b = await memberOf(server.url, 'quiet')
      const set = await admin(server.url, 'PATCH', '/v1/admin/tenants/hooked', {
        key: KEY,
        body: { config: { webhooks: [{ url: hookUrl, secret }] } },
      })
      expect(set.body.config.webhooks).toEqual([{ url: hookUrl, secret: '…' }]) // the secret is not shown again
      failFirst = 2 // the receiver is down for the first two attempts
      await b.push(b.entries(2))
      await a.push(a.entries(3))
      // The update itself is the first event (the tenant has a webhook from then on), then the push.
      await eventually(() => received.length >= 2, 5_000, 'delivery')
      expect(JSON.parse(received[0]!.body)).toMatchObject({ type: 'tenant-updated', tenant: 'hooked' })
      const got = received[1]
      const event = JSON.parse(got!.body)
      expect(event).toMatchObject({ type: 'entry-stored', tenant: 'hooked', data: { db: 'notes', count: 3 } })
      expect(verifyWebhook(secret, got!.body, got!.signature)).toBe(true)
      expect(verifyWebhook('t'.repeat(32), got!.body, got!.signature)).toBe(false)
      expect(verifyWebhook(secret, got!.body.replace('3', '4'), got!.signature)).toBe(false)
      // The receiver records a body before its 204 reaches the server, which counts on the reply.
      await eventually(() => server.tenancy.webhooks.delivered >= 2, 5_000, 'counted')
      expect(server.tenancy.webhooks.delivered).toBe(2)
      expect(received.every((r) => JSON.parse(r.body).tenant === 'hooked')).toBe(true)
    } finally {
      await server.close()
    }
  })

  it('keeps a bounded queue for a webhook that stays down', async () => {
    const server = await WeftServer.start({
      limits: fast,
      tenancy: { adminKey: KEY, webhooks: { maxQueue: 5, initialBackoffMs: 10_000 } },
    })
    try {
      const a = await memberOf(server.url, 'flood')
      await admin(server.url, 'PATCH', '/v1/admin/tenants/flood', {
        key: KEY,
        body: { config: { webhooks: [{ url: 'http://127.0.0.1:9/down', secret: 's'.repeat(32) }] } },
      })
      for (let i = 0; i < 20; i++) await a.push(a.entries(1))
      expect(server.tenancy.webhooks.waiting).toBeLessThanOrEqual(5)
      expect(server.tenancy.webhooks.dropped).toBeGreaterThanOrEqual(15)
    } finally {
      await server.close()
    }
  })
})

describe('tenant resolution and creation', () => {
  it('a single-tenant server serves its one tenant and refuses requests naming another', async () => {
    const server = await WeftServer.start({ limits: fast, tenancy: { tenant: 'solo', adminKey: KEY } })
    try {
      const m = await memberOf(server.url, 'solo')
      expect((await m.push(m.entries(1))).map((r) => r.status)).toEqual(['added'])
      const other = registerMembers({
        url: server.url,
        tenant: 'other',
        admin: generateSigningKeyPair(),
        seq: 1,
        add: [],
      })
      expect(await codeOf(other)).toBe(ErrorCodes.TENANT_MISMATCH)
      // A request that names no tenant is for the server's one tenant.
      const listed = await admin(server.url, 'GET', '/v1/admin/tenants', { key: KEY })
      expect(listed.body.tenants.map((t: { id: string }) => t.id)).toEqual(['solo'])
      const stats = await admin(server.url, 'GET', '/v1/tenant/stats', { key: KEY })
      expect(stats.body).toMatchObject({ tenant: 'solo', entries: 1 })
    } finally {
      await server.close()
    }
  })

  it('with managed tenants, only a tenant created through the admin API accepts a registration', async () => {
    const server = await WeftServer.start({ limits: fast, tenancy: { managedOnly: true, adminKey: KEY } })
    try {
      const register = () =>
        registerMembers({ url: server.url, tenant: 'made', admin: generateSigningKeyPair(), seq: 1, add: [] })
      expect(await codeOf(register())).toBe(ErrorCodes.TENANT_NOT_FOUND)
      await admin(server.url, 'POST', '/v1/admin/tenants', { key: KEY, body: { id: 'made', isolation: 'schema' } })
      expect(await codeOf(register())).toBeUndefined()
      expect((await admin(server.url, 'GET', '/v1/admin/tenants/made', { key: KEY })).body.isolation).toBe('schema')
    } finally {
      await server.close()
    }
  })
})
