import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSigningKeyPair, MemoryStoreFactory, TenantFactory, TEST_KDF, type Database } from '@weft/core'
import { ready, type Cursor } from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing'
import {
  registerMembers,
  RemoteChangeStore,
  RemoteStoreFactory,
  ServerConnection,
  type LiveFeedState,
  type RemoteChangeStoreOptions,
} from '@weft/client'
import { WeftServer } from '@weft/server'
import { WebSocket } from 'ws'
import { contents, eventually } from './helpers/devices.ts'
import { TcpProxy } from './helpers/TcpProxy.ts'

const backoff = { initialMs: 50, maxMs: 500 }
let server: WeftServer
let n = 0

beforeAll(async () => {
  await ready()
  server = await WeftServer.start()
})
afterAll(() => server.close())

/** Two handles on one tenant whose databases live on the server, each with its own key: two devices of one app. */
async function twoRemoteDevices(url = server.url) {
  const tenantId = `remote-live-${process.pid}-${++n}`
  const admin = generateSigningKeyPair()
  const keyA = generateSigningKeyPair()
  const keyB = generateSigningKeyPair()
  const records = new MemoryStoreFactory() // the tenant's local records, shared: the same identity on both
  const fa = new RemoteStoreFactory({
    url: server.url,
    keys: () => keyA,
    local: records,
    webSocket: WebSocket,
    backoff,
  })
  const a = await new TenantFactory({ storeFactory: fa, kdf: TEST_KDF }).createTenant({ tenantId, password: 'pw' })
  await registerMembers({
    url: server.url,
    tenant: tenantId,
    admin,
    seq: 1,
    add: [keyA.publicKey, keyB.publicKey, a.signingKey],
  })
  const fb = new RemoteStoreFactory({ url, keys: () => keyB, local: records, webSocket: WebSocket, backoff })
  const b = await new TenantFactory({ storeFactory: fb, kdf: TEST_KDF }).openTenant(tenantId, { password: 'pw' })
  return { tenantId, admin, keyB, a, b, fa, fb }
}

const feedOf = (db: Database) => db.getStore() as RemoteChangeStore

describe('a RemoteStoreFactory database follows the server live', () => {
  it("sees another device's new documents and edits without reopening", async () => {
    const { a, b, fa, fb } = await twoRemoteDevices()
    const dbA = await a.openDB('notes')
    const dbB = await b.openDB('notes')
    await eventually(() => feedOf(dbB).liveState().state === 'live', 5_000, 'the feed')
    const doc = await dbA.createDocument({ data: { title: 'draft' } })
    await eventually(async () => (await dbB.getDocument(doc.getId())) !== undefined, 5_000, 'the new document')
    await dbA.changeDoc(doc.getId(), (d) => void (d.getData().title = 'final'))
    await eventually(async () => (await dbB.getDocument(doc.getId()))?.getData().title === 'final', 5_000, 'the edit')
    // And the other way round.
    await dbB.changeDoc(doc.getId(), (d) => void (d.getData().by = 'b'))
    await eventually(async () => (await dbA.getDocument(doc.getId()))?.getData().by === 'b', 5_000, 'the reply')
    expect(await contents(dbB)).toEqual(await contents(dbA))
    await Promise.all([fa.close(), fb.close()])
  })

  it('resumes from its last cursor after a dropped link, missing nothing written meanwhile', async () => {
    const proxy = await TcpProxy.start(server.port)
    try {
      const { a, b, fa, fb } = await twoRemoteDevices(proxy.url)
      const dbA = await a.openDB('notes')
      const dbB = await b.openDB('notes')
      const states: LiveFeedState['state'][] = []
      feedOf(dbB).subscribeLiveState((s) => states.push(s.state))
      await eventually(() => feedOf(dbB).liveState().state === 'live', 5_000, 'the feed')
      proxy.cut()
      await eventually(() => states.includes('offline'), 5_000, 'the drop')
      const ids: string[] = []
      for (let i = 0; i < 20; i++) ids.push((await dbA.createDocument({ data: { i } })).getId())
      await eventually(async () => (await dbB.getAllDocumentIds()).length === 20, 10_000, 'every document')
      expect(feedOf(dbB).liveState().state).toBe('live')
      expect(states.slice(states.indexOf('offline'))).toContain('live')
      expect(await contents(dbB)).toEqual(await contents(dbA))
      await Promise.all([fa.close(), fb.close()])
    } finally {
      await proxy.close()
    }
  })

  it('starts where the last full scan ended (nothing stored after it is missed), else at the head', async () => {
    const tenant = `remote-live-scan-${process.pid}-${++n}`
    const key = generateSigningKeyPair()
    const f = new EntryFactory()
    await registerMembers({
      url: server.url,
      tenant,
      admin: generateSigningKeyPair(),
      seq: 1,
      add: [key.publicKey, f.signer.publicKey],
    })
    const store = (live: RemoteChangeStoreOptions['live']) =>
      new RemoteChangeStore({ connection: new ServerConnection({ url: server.url, tenant, key }), db: 'notes', live })
    const writer = store(false)
    const [e1, e2, e3] = f.entries(3).map(envelope)
    await writer.appendMany([e1!])
    const scanned = store({ webSocket: WebSocket, backoff })
    for (let c: Cursor | null = null, done = false; !done;) ({ cursor: c, done } = await scanned.scan(c))
    await writer.appendMany([e2!]) // after the scan, before anything subscribes
    const fromScan: string[] = []
    const offScanned = scanned.subscribe((h) => fromScan.push(...h))
    const unscanned = store({ webSocket: WebSocket, backoff })
    const fromHead: string[] = []
    const offHead = unscanned.subscribe((h) => fromHead.push(...h))
    await eventually(() => unscanned.liveState().state === 'live', 5_000, 'the feed')
    await writer.appendMany([e3!])
    await eventually(() => fromScan.includes(e3!.hash) && fromHead.includes(e3!.hash), 5_000, 'the new entry')
    expect(fromScan).toEqual([e2!.hash, e3!.hash])
    expect(fromHead).toEqual([e3!.hash])
    // The announced entries' bytes came with them and verify like any the server sends.
    expect((await scanned.getChanges([e2!.hash, e3!.hash])).map((e) => e.hash)).toEqual([e2!.hash, e3!.hash])
    offScanned()
    offHead()
    await Promise.all([writer.close(), scanned.close(), unscanned.close()])
  })

  it('misses no entry whatever the link drops, between any writes (property)', async () => {
    const proxy = await TcpProxy.start(server.port)
    try {
      const step = fc.record({
        writes: fc.integer({ min: 0, max: 4 }),
        cut: fc.boolean(),
        pauseMs: fc.constantFrom(0, 30),
      })
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
          const tenant = `remote-live-prop-${process.pid}-${++n}`
          const key = generateSigningKeyPair()
          const f = new EntryFactory()
          await registerMembers({
            url: server.url,
            tenant,
            admin: generateSigningKeyPair(),
            seq: 1,
            add: [key.publicKey, f.signer.publicKey],
          })
          const writer = new RemoteChangeStore({
            connection: new ServerConnection({ url: server.url, tenant, key }),
            db: 'd',
          })
          const follower = new RemoteChangeStore({
            connection: new ServerConnection({ url: proxy.url, tenant, key }),
            db: 'd',
            live: { webSocket: WebSocket, backoff: { initialMs: 10, maxMs: 100 } },
          })
          await follower.scan(null) // empty: the feed starts from the beginning
          const heard = new Set<string>()
          const off = follower.subscribe((h) => h.forEach((x) => heard.add(x)))
          const written: string[] = []
          for (const s of steps) {
            const entries = f.entries(s.writes).map(envelope)
            await writer.appendMany(entries)
            written.push(...entries.map((e) => e.hash))
            if (s.cut) proxy.cut()
            await new Promise((r) => setTimeout(r, s.pauseMs))
          }
          await eventually(() => written.every((h) => heard.has(h)), 15_000, 'every entry')
          off()
          await Promise.all([writer.close(), follower.close()])
        }),
        { numRuns: 8 },
      )
    } finally {
      await proxy.close()
    }
  })

  it('closes its socket when the last subscriber leaves or the store closes', async () => {
    const { a, b, fa, fb } = await twoRemoteDevices()
    const before = server.liveConnections
    const dbA = await a.openDB('notes')
    const dbB = await b.openDB('notes')
    await eventually(() => server.liveConnections === before + 2, 5_000, 'two sockets')
    await dbB.close() // the database was the store's only subscriber
    expect(feedOf(dbB).liveState()).toEqual({ state: 'off' })
    await eventually(() => server.liveConnections === before + 1, 5_000, 'one socket')
    await fa.close()
    expect(feedOf(dbA).liveState()).toEqual({ state: 'off' })
    await eventually(() => server.liveConnections === before, 5_000, 'no socket')
    await fb.close()
  })

  it('stops with WEFT_FORBIDDEN when its key is revoked', async () => {
    const { tenantId, admin, keyB, b, fa, fb } = await twoRemoteDevices()
    const dbB = await b.openDB('notes')
    await eventually(() => feedOf(dbB).liveState().state === 'live', 5_000, 'the feed')
    await registerMembers({ url: server.url, tenant: tenantId, admin, seq: 2, revoke: [keyB.publicKey] })
    await eventually(() => feedOf(dbB).liveState().state === 'error', 5_000, 'the refusal')
    expect(feedOf(dbB).liveState()).toMatchObject({ state: 'error', error: { code: 'WEFT_FORBIDDEN' } })
    await Promise.all([fa.close(), fb.close()])
  })

  it('is off when asked, and refuses live: true without a WebSocket', async () => {
    const f = new RemoteStoreFactory({ url: server.url, keys: () => generateSigningKeyPair(), live: false })
    const store = (await f.openChangeStore('t/db')) as RemoteChangeStore
    const off = store.subscribe(() => {})
    expect(store.liveState()).toEqual({ state: 'off' })
    off()
    await f.close()
    const global = globalThis as { WebSocket?: unknown }
    const saved = global.WebSocket
    global.WebSocket = undefined
    try {
      expect(
        () => new RemoteStoreFactory({ url: server.url, keys: () => generateSigningKeyPair(), live: true }),
      ).toThrow(expect.objectContaining({ code: 'WEFT_INVALID_ARGUMENT' }))
    } finally {
      global.WebSocket = saved
    }
  })
})
