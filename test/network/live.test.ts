import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryKeyValueStore, ready } from '@weft/core/backend'
import { LiveSync, RemoteChangeStore, ServerConnection, type SyncStatus } from '@weft/client'
import { WeftServer } from '@weft/server'
import { LevelStoreFactory } from '@weft/store-level'
import { WebSocket } from 'ws'
import { contents, eventually, setupTenant, type Device } from './helpers/devices.ts'
import { TcpProxy } from './helpers/TcpProxy.ts'

const backoff = { initialMs: 50, maxMs: 500 }
const live = (d: Device, remote = d.remote) => new LiveSync({ local: d.db, remote, webSocket: WebSocket, backoff })
const hashes = async (d: Device) => (await d.db.getStore().getAllChangeHashes()).sort()

beforeAll(ready)

describe('live sync', () => {
  let server: WeftServer
  beforeAll(async () => {
    server = await WeftServer.start()
  })
  afterAll(() => server.close())

  it('delivers new entries to subscribed clients, reports its status, and pushes offline edits on reconnect', async () => {
    const {
      devices: [a, b],
    } = await setupTenant(server.url)
    const la = live(a!)
    const lb = live(b!)
    const seen: SyncStatus['state'][] = []
    lb.subscribe((s) => seen.push(s.state))
    expect(la.peek().state).toBe('offline')
    la.start()
    lb.start()
    await Promise.all([la.whenReady(), lb.whenReady()])
    expect(lb.peek()).toEqual({ state: 'up-to-date', pending: 0 })
    const doc = await a!.db.createDocument({ data: { v: 1 } })
    await eventually(async () => (await b!.db.getDocument(doc.getId())) !== undefined, 5_000, 'live delivery')
    // Offline: edits count as pending, and go out when the link returns.
    await lb.stop()
    expect(lb.peek().state).toBe('offline')
    await b!.db.changeDoc(doc.getId(), (d) => void (d.getData().v = 2))
    await b!.db.createDocument({ data: { offline: true } })
    expect(lb.peek()).toMatchObject({ state: 'offline', pending: 2 })
    lb.start()
    await lb.whenReady()
    await eventually(
      async () => JSON.stringify(await contents(a!.db)) === JSON.stringify(await contents(b!.db)),
      10_000,
      'convergence',
    )
    expect((await a!.db.getDocument(doc.getId()))!.getData()).toEqual({ v: 2 })
    expect(seen).toContain('syncing')
    await Promise.all([la.stop(), lb.stop()])
  })

  it('after a restart, counts the local entries the server has not confirmed as pending before it connects', async () => {
    const {
      devices: [a],
    } = await setupTenant(server.url, { count: 1 })
    const cursors = new MemoryKeyValueStore() // the app's persistent record store, kept across the restart
    const first = new LiveSync({ local: a!.db, remote: a!.remote, webSocket: WebSocket, backoff, cursors })
    first.start()
    const doc = await a!.db.createDocument({ data: { v: 0 } })
    await first.whenReady()
    await first.close()
    // Offline edits with no sync running (the app was closed); one of them reached the server some other way.
    for (let v = 1; v <= 3; v++) await a!.db.changeDoc(doc.getId(), (d) => void (d.getData().v = v))
    const unsent = await hashes(a!)
    await a!.remote.relay(await a!.db.getStore().getChanges([(await a!.db.getStore().getAllChangeHashes()).at(-1)!]))

    const second = new LiveSync({ local: a!.db, remote: a!.remote, webSocket: WebSocket, backoff, cursors })
    const seen: SyncStatus[] = []
    second.subscribe((s) => seen.push(s))
    second.start()
    await second.whenReady()
    expect(seen.find((s) => s.state === 'offline')).toMatchObject({ pending: 3 })
    expect(second.peek()).toEqual({ state: 'up-to-date', pending: 0 })
    expect((await a!.remote.getAllChangeHashes()).sort()).toEqual(unsent)
    await second.close()

    // Nothing new since: a third start counts nothing pending.
    const third = new LiveSync({ local: a!.db, remote: a!.remote, webSocket: WebSocket, backoff, cursors })
    const states: SyncStatus[] = []
    third.subscribe((s) => states.push(s))
    third.start()
    await third.whenReady()
    expect(states.every((s) => s.state === 'error' || s.pending === 0)).toBe(true)
    await third.close()
  })

  it('stops with an error status when its key is not registered', async () => {
    const {
      devices: [a],
      tenantId,
    } = await setupTenant(server.url, { count: 1 })
    const { generateSigningKeyPair } = await import('@weft/core')
    const conn = new ServerConnection({ url: server.url, tenant: tenantId, key: generateSigningKeyPair() })
    const l = new LiveSync({
      local: a!.db,
      remote: new RemoteChangeStore({ connection: conn, db: 'notes' }),
      webSocket: WebSocket,
      backoff,
    })
    l.start()
    await expect(l.whenReady()).rejects.toMatchObject({ code: 'WEFT_UNAUTHORIZED' })
    expect(l.peek().state).toBe('error')
  })

  it('recovers when its socket is cut mid-transfer, losing nothing', async () => {
    const proxy = await TcpProxy.start(server.port)
    try {
      const {
        devices: [a, b],
      } = await setupTenant(server.url)
      for (let i = 0; i < 600; i++) await a!.db.createDocument({ data: { i, pad: 'x'.repeat(200) } })
      await a!.db.pushChangesTo(a!.remote)
      const viaProxy = new RemoteChangeStore({
        connection: new ServerConnection({ url: proxy.url, tenant: b!.connection.tenant, key: b!.key }),
        db: 'notes',
      })
      const lb = live(b!, viaProxy)
      let atCut = -1
      const off = b!.db.getStore().subscribe(() => {
        if (atCut >= 0) return
        proxy.cut() // mid-transfer: after the first page is durable here, before the rest
        void b!.db
          .getStore()
          .head()
          .then((h) => (atCut = h.count))
      })
      lb.start()
      await eventually(() => atCut >= 0, 10_000, 'the cut')
      off()
      expect(atCut).toBeGreaterThan(0)
      expect(atCut).toBeLessThan(600)
      await eventually(async () => (await b!.db.getStore().head()).count === 600, 30_000, 'all entries after the cut')
      await lb.whenReady()
      expect(await hashes(b!)).toEqual(await hashes(a!))
      expect(await contents(b!.db)).toEqual(await contents(a!.db))
      await lb.stop()
    } finally {
      await proxy.close()
    }
  })

  it('keeps 100 concurrent clients in sync', async () => {
    const t = await setupTenant(server.url, { count: 1 })
    // The server already holds some history every client catches up on.
    const seed = t.devices[0]!
    for (let i = 0; i < 20; i++) await seed.db.createDocument({ data: { seed: i } })
    await seed.db.pushChangesTo(seed.remote)
    const devices: Device[] = [seed]
    while (devices.length < 100) devices.push(await t.addDevice())
    const syncs = devices.map((d) => live(d))
    const started = Date.now()
    for (const s of syncs) s.start() // all at once
    // Ten of them write while the others are catching up.
    await Promise.all(devices.slice(90).map((d, i) => d.db.createDocument({ data: { writer: i } })))
    await eventually(
      async () => {
        for (const d of devices) if ((await d.db.getAllDocumentIds()).length < 30) return false
        return true
      },
      90_000,
      '100 clients converged',
    )
    await Promise.all(syncs.map((s) => s.whenReady()))
    const elapsed = Date.now() - started
    const first = JSON.stringify(await contents(devices[0]!.db))
    for (const d of devices) expect(JSON.stringify(await contents(d.db))).toBe(first)
    expect(server.liveConnections).toBeGreaterThanOrEqual(100)
    expect(elapsed).toBeLessThan(90_000)
    await Promise.all(syncs.map((s) => s.stop()))
  }, 150_000)
})

describe('server restarted mid-sync', () => {
  it('clients reconnect to the restarted server and converge, nothing lost', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-restart-'))
    let server = await WeftServer.start({ storeFactory: new LevelStoreFactory({ path: dir }) })
    const port = server.port
    try {
      const {
        devices: [a, b],
      } = await setupTenant(server.url)
      const la = live(a!)
      const lb = live(b!)
      la.start()
      lb.start()
      await Promise.all([la.whenReady(), lb.whenReady()])
      const writing = (async () => {
        for (let i = 0; i < 300; i++) await a!.db.createDocument({ data: { i } })
      })()
      await eventually(async () => (await b!.db.getStore().head()).count > 20, 20_000, 'sync under way')
      await server.close() // mid-sync
      await new Promise((r) => setTimeout(r, 200))
      server = await WeftServer.start({ storeFactory: new LevelStoreFactory({ path: dir }), port })
      await writing
      await eventually(async () => (await b!.db.getStore().head()).count === 300, 60_000, 'convergence after restart')
      await Promise.all([la.whenReady(), lb.whenReady()])
      expect(await hashes(b!)).toEqual(await hashes(a!))
      expect(await server.liveConnections).toBe(2)
      await Promise.all([la.stop(), lb.stop()])
    } finally {
      await server.close()
      await rm(dir, { recursive: true, force: true })
    }
  }, 90_000)
})
