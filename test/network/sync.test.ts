import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ErrorCodes,
  generateSigningKeyPair,
  incrementalSync,
  ready,
  syncDatabases,
  TenantFactory,
  TEST_KDF,
} from '@weft/core'
import { MemoryChangeStore } from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing'
import { registerMembers, RemoteChangeStore, RemoteStoreFactory, ServerConnection } from '@weft/client'
import { MEMBERSHIP_EXPIRED } from '@weft/protocol'
import { WeftServer } from '@weft/server'
import { LevelStoreFactory } from '@weft/store-level'
import { WebSocket } from 'ws'
import { contents, setupTenant } from './helpers/devices.ts'
import { codeOf, rawPost } from './helpers/http.ts'

let server: WeftServer
let dataDir: string

beforeAll(async () => {
  await ready()
  dataDir = await mkdtemp(join(tmpdir(), 'weft-server-'))
  server = await WeftServer.start({ storeFactory: new LevelStoreFactory({ path: dataDir }), sessionTtlMs: 60_000 })
})
afterAll(async () => {
  await server.close()
  await rm(dataDir, { recursive: true, force: true })
})

describe('two Node clients through a server', () => {
  it('converge with pushChangesTo / pullChangesFrom, and the server keeps no plaintext', async () => {
    const {
      devices: [a, b],
    } = await setupTenant(server.url)
    const markers = ['PLAINTEXT-MARKER-alpha-7f3c', 'PLAINTEXT-MARKER-beta-91d2']
    const d1 = await a!.db.createDocument({ data: { title: markers[0], n: 1 } })
    await a!.db.changeDoc(d1, (d) => void (d.getData().note = markers[1]))
    const d2 = await b!.db.createDocument({ data: { title: 'from b' } })
    expect((await a!.db.pushChangesTo(a!.remote)).transferred).toBe(2)
    expect((await b!.db.pushChangesTo(b!.remote)).transferred).toBe(1)
    expect((await b!.db.pullChangesFrom(b!.remote)).transferred).toBe(2)
    expect((await a!.db.pullChangesFrom(a!.remote)).transferred).toBe(1)
    expect(await contents(a!.db)).toEqual(await contents(b!.db))
    expect((await b!.db.getDocument(d1.getId()))!.getData()).toMatchObject({ title: markers[0], note: markers[1] })
    expect(await a!.db.getDocument(d2.getId())).toBeDefined()

    // Nothing in the server's storage folder contains the plaintext.
    const files = await readdir(dataDir, { recursive: true, withFileTypes: true })
    let scanned = 0
    for (const f of files.filter((x) => x.isFile())) {
      const bytes = await readFile(join(f.parentPath, f.name))
      scanned += bytes.length
      for (const m of markers) expect(bytes.includes(Buffer.from(m))).toBe(false)
    }
    expect(scanned).toBeGreaterThan(0)
  })

  it('works as a TenantFactory storage backend (syncDatabases, iterateChangesSince, incrementalSync)', async () => {
    const setup = await setupTenant(server.url, { count: 1, db: 'orders' })
    const local = setup.devices[0]!
    const doc = await local.db.createDocument({ data: { status: 'pending' } })
    // The same tenant opened over RemoteStoreFactory: its databases live on the server.
    const remoteFactory = new RemoteStoreFactory({ url: server.url, keys: () => local.key })
    const records = new TenantFactory({ storeFactory: remoteFactory, kdf: TEST_KDF })
    const onServer = await records.createTenant({ tenantId: `${setup.tenantId}`, password: 'x' }).catch(() => undefined)
    expect(onServer).toBeDefined() // records stay local to this factory: a fresh record for the same id
    const remoteDb = await onServer!.openDB('orders')
    await syncDatabases(local.db, remoteDb) // entries go to the server; remoteDb cannot read them (other identity)
    expect(await remoteDb.getStore().getAllChangeHashes()).toHaveLength(1)
    const fresh = await setup.addDevice()
    const state = await incrementalSync(await onServer!.openDB('orders'), fresh.db)
    expect(state.lastSent).toBe(1)
    expect((await fresh.db.getDocument(doc.getId()))!.getData()).toEqual({ status: 'pending' })
    const seen: string[] = []
    for await (const { doc: d } of fresh.db.iterateChangesSince(null)) seen.push(d.getId())
    expect(seen).toEqual([doc.getId()])
    // iterateChangesSince over a database whose store is the server
    const overServer: string[] = []
    for await (const item of remoteDb.iterateChangesSince(null)) overServer.push(item.cursor.epoch)
    expect(overServer.length).toBeLessThanOrEqual(1)
    await remoteFactory.close()
  })

  it('finds what a big store lacks by reconciliation, not by listing every hash', async () => {
    const {
      devices: [a],
    } = await setupTenant(server.url, { count: 1, db: 'big' })
    const f = new EntryFactory()
    const local = new MemoryChangeStore()
    const conn = a!.connection
    const remote = new RemoteChangeStore({ connection: conn, db: 'big' })
    // Entries by an unregistered author are refused one by one, never the whole batch.
    const es = f.entries(5).map(envelope)
    const r = await remote.appendMany(es)
    expect(r.added).toEqual([])
    expect(r.rejected.map((x) => x.error.code)).toEqual(Array(5).fill(ErrorCodes.UNTRUSTED_SIGNER))
    // Entries by a registered author (the tenant) go through.
    for (let i = 0; i < 120; i++) await a!.db.createDocument({ data: { i } })
    await a!.db.pushChangesTo(remote)
    await local.appendMany(
      (await a!.db.getStore().getChanges(await a!.db.getStore().getAllChangeHashes())).slice(0, 115).map(envelope),
    )
    const result = await remote.reconcileWith(local)
    expect(result.need).toHaveLength(5)
    expect(result.have).toEqual([])
    expect(await remote.findNewChanges(await local.getAllChangeHashes())).toHaveLength(5)
  })
})

describe('authentication and tenant isolation', () => {
  it('answers unknown, expired and revoked credentials with 401/403 and a typed body', async () => {
    const t = await setupTenant(server.url, { count: 1 })
    const base = `${server.url}/v1/t/${t.tenantId}/db/notes/head`
    expect(await rawPost(base, {})).toMatchObject({ status: 401, error: { code: ErrorCodes.UNAUTHORIZED } })
    expect(await rawPost(base, {}, { authorization: 'Bearer nope' })).toMatchObject({
      status: 401,
      error: { code: ErrorCodes.UNAUTHORIZED },
    })
    // A key nobody registered cannot sign in.
    const stranger = new ServerConnection({ url: server.url, tenant: t.tenantId, key: generateSigningKeyPair() })
    expect(await codeOf(stranger.token())).toBe(ErrorCodes.UNAUTHORIZED)
    // A revoked key loses its session and cannot sign in again.
    const dev = t.devices[0]!
    await dev.connection.db('notes', 'head', {})
    const token = await dev.connection.token()
    await registerMembers({
      url: server.url,
      tenant: t.tenantId,
      admin: t.admin,
      seq: 100,
      revoke: [dev.key.publicKey],
    })
    expect(await rawPost(base, {}, { authorization: `Bearer ${token}` })).toMatchObject({ status: 401 })
    dev.connection.invalidate()
    expect(await codeOf(dev.connection.db('notes', 'head', {}))).toBe(ErrorCodes.FORBIDDEN)
    // Only the admin registers, and an old registration cannot be replayed.
    expect(
      await codeOf(
        registerMembers({ url: server.url, tenant: t.tenantId, admin: dev.key, seq: 101, add: [dev.key.publicKey] }),
      ),
    ).toBe(ErrorCodes.FORBIDDEN)
    expect(
      await codeOf(
        registerMembers({ url: server.url, tenant: t.tenantId, admin: t.admin, seq: 50, add: [dev.key.publicKey] }),
      ),
    ).toBe(ErrorCodes.FORBIDDEN)
  })

  it('ends a membership registered with an end time: no sign-in, sessions end, entries refused', async () => {
    const t = await setupTenant(server.url, { count: 1 })
    const author = new EntryFactory(1)
    const key = author.signer
    const until = Date.now() + 400
    await registerMembers({
      url: server.url,
      tenant: t.tenantId,
      admin: t.admin,
      seq: 200,
      add: [key.publicKey],
      until,
    })
    const conn = new ServerConnection({ url: server.url, tenant: t.tenantId, key })
    await expect(conn.db('notes', 'head', {})).resolves.toMatchObject({ count: 0 })
    const push = () => t.devices[0]!.connection.db('notes', 'push', { entries: [envelope(author.entry())] })
    expect((await push()).results.map((r) => r.status)).toEqual(['added'])
    await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now()) + 50))
    // The open session ends with the membership, and a new sign-in is refused, with the message a client can tell apart.
    await expect(conn.db('notes', 'head', {})).rejects.toMatchObject({
      code: ErrorCodes.FORBIDDEN,
      message: MEMBERSHIP_EXPIRED,
    })
    conn.invalidate()
    expect(await codeOf(conn.token())).toBe(ErrorCodes.FORBIDDEN)
    // Entries it authored are no longer accepted from anyone.
    expect((await push()).results.map((r) => r.status === 'rejected' && r.code)).toEqual([ErrorCodes.UNTRUSTED_SIGNER])
    // Registered again without an end, it is a member again.
    await registerMembers({ url: server.url, tenant: t.tenantId, admin: t.admin, seq: 201, add: [key.publicKey] })
    await expect(
      new ServerConnection({ url: server.url, tenant: t.tenantId, key }).db('notes', 'head', {}),
    ).resolves.toBeDefined()
  })

  it('expires session tokens', async () => {
    const short = await WeftServer.start({ sessionTtlMs: 200 })
    try {
      const t = await setupTenant(short.url, { count: 1 })
      const token = await t.devices[0]!.connection.token()
      await new Promise((r) => setTimeout(r, 300))
      const res = await rawPost(
        `${short.url}/v1/t/${t.tenantId}/db/notes/head`,
        {},
        { authorization: `Bearer ${token}` },
      )
      expect(res).toMatchObject({ status: 401, error: { code: ErrorCodes.UNAUTHORIZED } })
      // The client signs in again by itself.
      await expect(t.devices[0]!.connection.db('notes', 'head', {})).resolves.toMatchObject({ count: 0 })
    } finally {
      await short.close()
    }
  })

  it('never lets a token for tenant A read or write tenant B', async () => {
    const A = await setupTenant(server.url, { count: 1 })
    const B = await setupTenant(server.url, { count: 1 })
    await B.devices[0]!.db.createDocument({ data: { secret: 1 } })
    await B.devices[0]!.db.pushChangesTo(B.devices[0]!.remote)
    const tokenA = await A.devices[0]!.connection.token()
    const auth = { authorization: `Bearer ${tokenA}` }
    for (const op of ['head', 'scan', 'push', 'get', 'reconcile']) {
      const res = await rawPost(`${server.url}/v1/t/${B.tenantId}/db/notes/${op}`, {}, auth)
      expect(res).toMatchObject({ status: 403, error: { code: ErrorCodes.FORBIDDEN } })
      const viaHeader = await rawPost(`${server.url}/v1/db/notes/${op}`, {}, { ...auth, 'x-tenant-id': B.tenantId })
      expect(viaHeader).toMatchObject({ status: 403, error: { code: ErrorCodes.FORBIDDEN } })
    }
    // Path and header that disagree are refused; the token alone names its own tenant.
    const mismatch = await rawPost(
      `${server.url}/v1/t/${A.tenantId}/db/notes/head`,
      {},
      { ...auth, 'x-tenant-id': B.tenantId },
    )
    expect(mismatch).toMatchObject({ status: 400, error: { code: ErrorCodes.TENANT_MISMATCH } })
    expect((await rawPost(`${server.url}/v1/db/notes/head`, {}, auth)).status).toBe(200)
    // Nor over the live socket.
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/t/${B.tenantId}/ws?token=${tokenA}`)
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.on('open', () => resolve(101))
      ws.on('error', () => {})
    })
    expect(refused).toBe(403)
    // Tenant A's view of "notes" holds none of B's entries.
    expect(await A.devices[0]!.remote.getAllChangeHashes()).toEqual([])
  })
})

describe('limits', () => {
  it('refuses oversized bodies, too many entries and too many requests with typed errors, and keeps serving', async () => {
    const small = await WeftServer.start({
      limits: {
        maxBodyBytes: 64 * 1024,
        maxEntriesPerRequest: 10,
        maxEntryBytes: 2_000,
        requestsPerSecond: 20,
        burst: 20,
      },
    })
    try {
      const t = await setupTenant(small.url, { count: 1 })
      const dev = t.devices[0]!
      const token = await dev.connection.token()
      const auth = { authorization: `Bearer ${token}` }
      const url = `${small.url}/v1/t/${t.tenantId}/db/notes/push`
      const big = await rawPost(url, { entries: [{ hash: '00'.repeat(32), bytes: new Uint8Array(100_000) }] }, auth)
      expect(big).toMatchObject({ status: 413, error: { code: ErrorCodes.PAYLOAD_TOO_LARGE } })
      const many = await rawPost(
        url,
        { entries: Array.from({ length: 11 }, () => ({ hash: '00'.repeat(32), bytes: new Uint8Array(1) })) },
        auth,
      )
      expect(many).toMatchObject({ status: 413, error: { code: ErrorCodes.TOO_MANY_ENTRIES } })
      // An entry over the entry size limit is refused alone.
      const d = await dev.db.createDocument({ data: { blob: 'x'.repeat(3_000) } })
      await dev.db.createDocument({ data: { small: 1 } })
      const r = await dev.remote.appendMany(
        await dev.db.getStore().getChanges(await dev.db.getStore().getAllChangeHashes()),
      )
      expect(r.added).toHaveLength(1)
      expect(r.rejected.map((x) => x.error.code)).toEqual([ErrorCodes.ENTRY_TOO_LARGE])
      expect(d.getId()).toBeDefined()
      // Over the request rate: 429 with a typed body.
      const statuses = await Promise.all(
        Array.from({ length: 40 }, () => rawPost(`${small.url}/v1/t/${t.tenantId}/db/notes/head`, {}, auth)),
      )
      expect(statuses.some((s) => s.status === 429 && s.error?.code === ErrorCodes.RATE_LIMITED)).toBe(true)
      await new Promise((r) => setTimeout(r, 1_100))
      expect((await rawPost(`${small.url}/v1/t/${t.tenantId}/db/notes/head`, {}, auth)).status).toBe(200)
      // Garbage and unknown paths get typed errors too.
      const garbage = await fetch(`${small.url}/v1/t/${t.tenantId}/db/notes/head`, {
        method: 'POST',
        headers: auth,
        body: new Uint8Array([0xc1, 0xc1]),
      })
      expect(garbage.status).toBe(400)
      expect((await garbage.json()).code).toBe(ErrorCodes.PROTOCOL)
      expect((await fetch(`${small.url}/nothing`, { method: 'POST' })).status).toBe(404)
    } finally {
      await small.close()
    }
  })
})

describe('health check', () => {
  it('answers GET /v1/health without credentials, and nothing else at that path', async () => {
    const res = await fetch(`${server.url}/v1/health`)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await res.json()).toEqual({
      ok: true,
      protocol: 1,
      serverId: server.serverId,
      liveConnections: server.liveConnections,
    })
    expect((await rawPost(`${server.url}/v1/health`, {})).status).toBe(404)
    expect((await fetch(`${server.url}/v1/health?x=1`)).status).toBe(404)
  })
})
