import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ready, type Presence, type Tenant } from '@weft/core'
import { RemoteChangeStore } from '@weft/client'
import { encodeBody, type ServerSocketMessage } from '@weft/protocol'
import { WeftServer } from '@weft/server'
import { LocalClusterHub, MemoryStoreFactory } from '@weft/core/backend'
import { recordingSocket, stalledSocket } from '../adversarial/helpers/sockets.ts'
import { connect, joinDevice, rootDevice } from './helpers/directoryDevices.ts'
import { eventually } from './helpers/devices.ts'
import { linkedPresence } from './helpers/presenceLink.ts'

beforeAll(ready)

/** A device's live sync of `notes` carrying the database's presence and the tenant's. */
const linked = (url: string, tenant: Tenant) => linkedPresence(url, tenant, { tenantWide: true })

const states = (p: Presence) => p.peers().map((x) => x.state)

describe('presence through the relay', () => {
  let server: WeftServer
  beforeAll(async () => {
    server = await WeftServer.start()
  })
  afterAll(() => server.close())

  it("reaches the tenant's other devices in the same scope, never another tenant's, and is stored nowhere", async () => {
    const a = await rootDevice(server.url)
    const b = await joinDevice(a)
    const stranger = await rootDevice(server.url)
    const [la, lb, ls] = [await linked(server.url, a), await linked(server.url, b), await linked(server.url, stranger)]
    const [pa, pb, ps] = [
      (await a.openDB('notes')).presence,
      (await b.openDB('notes')).presence,
      (await stranger.openDB('notes')).presence,
    ]
    pa.set({ name: 'Ada', line: 1 })
    pb.set({ name: 'Bob', line: 7 })
    ps.set({ name: 'Eve', line: 0 })
    await eventually(() => states(pa).length === 1 && states(pb).length === 1, 5_000, 'both see each other')
    expect(states(pa)).toEqual([{ name: 'Bob', line: 7 }])
    expect(states(pb)).toEqual([{ name: 'Ada', line: 1 }])
    // Arrivals are answered: a device that comes later learns who is already here.
    b.presence.set('b in the tenant')
    await eventually(() => states(a.presence).length === 1, 5_000, 'tenant-wide presence')
    expect(states(a.presence)).toEqual(['b in the tenant'])
    // A move is seen by the other device.
    pa.set({ name: 'Ada', line: 2 })
    await eventually(() => (states(pb)[0] as { line: number }).line === 2, 5_000, 'the move')
    // The stranger's tenant never sees them, nor they it.
    expect(states(ps)).toEqual([])
    expect(states(pa)).toEqual([{ name: 'Bob', line: 7 }])
    // Nothing was stored on the relay: the database there holds no entry.
    const head = await new RemoteChangeStore({ connection: connect(server.url, a), db: 'notes' }).head()
    expect(head.seq).toBe(0)
    expect(server.presenceCounts.forwarded).toBeGreaterThan(0)
    await Promise.all([la.close(), lb.close(), ls.close()])
    for (const t of [a, b, stranger]) await t.close()
  })

  it('an old message the relay replays is ignored: the newest state stands', async () => {
    const a = await rootDevice(server.url)
    const b = await joinDevice(a)
    const c = await joinDevice(a)
    const [la, lb] = [await linked(server.url, a), await linked(server.url, b)]
    // A member's socket that watches and records: what a relay holding old messages could resend.
    const spy = await recordingSocket(server.url, a.id, await connect(server.url, c).token())
    spy.send({ type: 'presence-watch', scope: 'notes' })
    const pa = (await a.openDB('notes')).presence
    const pb = (await b.openDB('notes')).presence
    await eventually(() => server.liveConnections >= 3, 5_000, 'sockets')
    await new Promise((r) => setTimeout(r, 100)) // the watch is in force
    pb.set('old')
    await eventually(() => states(pa)[0] === 'old', 5_000, 'old state')
    pb.set('new')
    await eventually(() => states(pa)[0] === 'new', 5_000, 'new state')
    const recorded = spy.messages.flatMap((x) => (x.m.type === 'presence' ? [x.m.data] : []))
    expect(recorded.length).toBeGreaterThanOrEqual(2)
    for (const data of recorded) spy.ws.send(encodeBody({ type: 'presence', scope: 'notes', data }))
    // Then a genuine message from c: delivered after the replays on the same socket.
    const pc = (await c.openDB('notes')).presence
    pc.connect((data) => spy.ws.send(encodeBody({ type: 'presence', scope: 'notes', data })))
    pc.set('c here')
    await eventually(() => states(pa).includes('c here'), 5_000, "c's presence")
    expect(states(pa)).toContain('new')
    expect(states(pa)).not.toContain('old')
    spy.ws.close()
    await Promise.all([la.close(), lb.close()])
    for (const t of [a, b, c]) await t.close()
  })

  it('refuses an oversized message and a flood with presence-refused, and the socket stays up', async () => {
    const a = await rootDevice(server.url)
    const s = await recordingSocket(server.url, a.id, await connect(server.url, a).token())
    s.send({ type: 'presence', scope: 'notes', data: new Uint8Array(5_000) })
    await eventually(() => s.messages.length === 1, 5_000, 'the refusal')
    expect(s.messages[0]!.m).toMatchObject({ type: 'presence-refused', code: 'WEFT_PAYLOAD_TOO_LARGE' })
    const before = server.presenceCounts.refused
    const started = Date.now()
    for (let i = 0; i < 200; i++) s.send({ type: 'presence', scope: 'notes', data: new Uint8Array(16) })
    // Still subscribed and served: the page comes after every presence message was handled.
    s.send({ type: 'subscribe', db: 'notes', since: null })
    await eventually(() => s.messages.some((x) => x.m.type === 'entries'), 10_000, 'a page')
    const seconds = (Date.now() - started) / 1000
    // A burst of 40 and 20 a second passed; the rest was refused.
    expect(server.presenceCounts.refused - before).toBeGreaterThanOrEqual(200 - 40 - Math.ceil(20 * seconds))
    expect(server.presenceCounts.refused - before).toBeGreaterThan(0)
    // At most one refusal told a second, not one per message.
    const refusals = s.messages.filter((x) => x.m.type === 'presence-refused') as { m: ServerSocketMessage }[]
    expect(refusals.length).toBeLessThanOrEqual(2 + Math.ceil(seconds))
    s.ws.close()
    await a.close()
  })
})

describe('presence to a watcher that does not read', () => {
  it('is skipped once its socket is backed up, while a reading watcher gets every message', async () => {
    const unlimited = { rate: 1e9, burst: 1e9 }
    const server = await WeftServer.start({
      presence: { perConnection: unlimited, perTenant: unlimited, maxBufferedBytes: 64 * 1024 },
    })
    try {
      const a = await rootDevice(server.url)
      const token = await connect(server.url, a).token()
      const stalled = await stalledSocket(server.url, a.id, token)
      stalled.send({ type: 'presence-watch', scope: 'notes' })
      const reader = await recordingSocket(server.url, a.id, token)
      reader.send({ type: 'presence-watch', scope: 'notes' })
      const sender = await recordingSocket(server.url, a.id, token)
      await new Promise((r) => setTimeout(r, 200)) // the watches are in force
      const count = 4_000
      const data = new Uint8Array(4_000)
      // Sent in bursts the reader keeps up with (a reader slowed by a busy machine is a reader that
      // does not read, and would be skipped too); the stalled socket never reads.
      for (let sent = 0; sent < count;) {
        for (let i = 0; i < 100; i++, sent++) sender.send({ type: 'presence', scope: 'notes', data })
        await eventually(() => reader.messages.length === sent, 10_000, 'every message at the reader')
      }
      // 16 MB were sent; far less went to the socket that reads nothing.
      expect(server.presenceCounts.forwarded - count).toBeLessThan(count / 2)
      stalled.socket.destroy()
      for (const s of [reader, sender]) s.ws.close()
      await a.close()
    } finally {
      await server.close()
    }
  }, 30_000)
})

describe('presence limits per tenant and per socket', () => {
  it("caps a tenant's sockets together, and the scopes one socket watches", async () => {
    const server = await WeftServer.start({
      presence: { perConnection: { rate: 1e9, burst: 1e9 }, perTenant: { rate: 10, burst: 20 } },
    })
    try {
      const a = await rootDevice(server.url)
      const token = await connect(server.url, a).token()
      const watcher = await recordingSocket(server.url, a.id, token)
      watcher.send({ type: 'presence-watch', scope: 'notes' })
      const senders = await Promise.all([1, 2, 3].map(() => recordingSocket(server.url, a.id, token)))
      await new Promise((r) => setTimeout(r, 200)) // the watch is in force
      const started = Date.now()
      for (const s of senders)
        for (let i = 0; i < 100; i++) s.send({ type: 'presence', scope: 'notes', data: new Uint8Array(8) })
      await eventually(
        () => server.presenceCounts.refused + server.presenceCounts.forwarded >= 300,
        5_000,
        'all handled',
      )
      const seconds = (Date.now() - started) / 1000
      // Each socket on its own may send any number; the three together get the tenant's share only.
      expect(server.presenceCounts.forwarded).toBeLessThanOrEqual(20 + Math.ceil(10 * (seconds + 0.5)))
      expect(server.presenceCounts.forwarded).toBeGreaterThanOrEqual(20)
      // Every sender is refused. The server counts a refusal, then writes it to the sender's socket,
      // which reads it later: waited for (a timeout fails the test).
      await eventually(
        () =>
          senders.every((s) =>
            s.messages.some((x) => x.m.type === 'presence-refused' && x.m.code === 'WEFT_RATE_LIMITED'),
          ),
        5_000,
        'a refusal at each sender',
      )

      // 64 scopes a socket; the 65th watch is refused, the socket stays up.
      const many = await recordingSocket(server.url, a.id, token)
      for (let i = 0; i < 65; i++) many.send({ type: 'presence-watch', scope: `db${i}` })
      await eventually(() => many.messages.length === 1, 5_000, 'the refusal')
      expect(many.messages[0]!.m).toMatchObject({ type: 'presence-refused', scope: 'db64', code: 'WEFT_PROTOCOL' })
      expect(many.ws.readyState).toBe(many.ws.OPEN)
      for (const s of [watcher, many, ...senders]) s.ws.close()
      await a.close()
    } finally {
      await server.close()
    }
  })
})

describe('presence across server processes over one storage', () => {
  it("reaches a device on another server of the cluster, both ways, and never another tenant's", async () => {
    const storeFactory = new MemoryStoreFactory()
    const hub = new LocalClusterHub()
    const [one, two] = await Promise.all(
      [0, 1].map(() => WeftServer.start({ storeFactory, cluster: { bus: hub.bus() } })),
    )
    try {
      const a = await rootDevice(one!.url)
      const b = await joinDevice(a)
      const stranger = await rootDevice(two!.url)
      const [la, lb, ls] = [await linked(one!.url, a), await linked(two!.url, b), await linked(two!.url, stranger)]
      const [pa, pb, ps] = [
        (await a.openDB('notes')).presence,
        (await b.openDB('notes')).presence,
        (await stranger.openDB('notes')).presence,
      ]
      pa.set({ name: 'Ada' })
      pb.set({ name: 'Bob' })
      ps.set({ name: 'Eve' })
      await eventually(() => states(pa).length === 1 && states(pb).length === 1, 5_000, 'each sees the other')
      expect(states(pa)).toEqual([{ name: 'Bob' }])
      expect(states(pb)).toEqual([{ name: 'Ada' }])
      expect(states(ps)).toEqual([])
      await Promise.all([la.close(), lb.close(), ls.close()])
      for (const t of [a, b, stranger]) await t.close()
    } finally {
      await one!.close()
      await two!.close()
    }
  })
})
