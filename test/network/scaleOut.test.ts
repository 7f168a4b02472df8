import { createServer, type Server } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ready } from '@weft/core/backend'
import { LiveSync, type RemoteChangeStore, type SyncStatus } from '@weft/client'
import { WeftServer } from '@weft/server'
import { PostgresStoreFactory } from '@weft/store-postgres'
import { WebSocket } from 'ws'
import {
  adminQuery,
  createTestDatabase,
  type TestDatabase,
} from '../../packages/store-postgres/test/helpers/pgDatabase.ts'
import { contents, eventually, setupTenant, type Device } from './helpers/devices.ts'
import { remoteAt, storedExactlyOnce } from './helpers/clusterClients.ts'
import { startServerProcess, type ServerProcess } from './helpers/serverProcess.ts'

const backoff = { initialMs: 50, maxMs: 400 }

const live = (d: Device, remote: RemoteChangeStore) =>
  new LiveSync({ local: d.db, remote, webSocket: WebSocket, backoff })

const same = async (a: Device, b: Device) =>
  JSON.stringify(await contents(a.db)) === JSON.stringify(await contents(b.db))

beforeAll(ready)

describe('relay processes over one PostgreSQL', () => {
  let db: TestDatabase
  let procs: ServerProcess[]
  beforeAll(async () => {
    db = await createTestDatabase('scale')
    const first = await startServerProcess(['--postgres', db.url, '--port', '0'])
    procs = [first, ...(await Promise.all([0, 1].map(() => startServerProcess(['--postgres', db.url, '--port', '0']))))]
  }, 60_000)
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()))
    await db.drop()
  })

  it('pushes live both ways between clients on two processes', async () => {
    const [a, b] = procs.map((p) => p.url)
    const {
      devices: [da, db2],
    } = await setupTenant(a!)
    const la = live(da!, remoteAt(da!, a!))
    const lb = live(db2!, remoteAt(db2!, b!))
    la.start()
    lb.start()
    await Promise.all([la.whenReady(), lb.whenReady()])
    const doc = await da!.db.createDocument({ data: { v: 1 } })
    await eventually(async () => (await db2!.db.getDocument(doc.getId())) !== undefined, 10_000, 'A to B')
    await db2!.db.changeDoc(doc.getId(), (d) => void (d.getData().v = 2))
    await eventually(async () => (await da!.db.getDocument(doc.getId()))?.getData().v === 2, 10_000, 'B to A')
    await Promise.all([la.close(), lb.close()])
  })

  it('pushes what any of three processes stores to the clients of the other two', async () => {
    const { devices } = await setupTenant(procs[0]!.url, { count: 3 })
    const syncs = devices.map((d, i) => live(d, remoteAt(d, procs[i]!.url)))
    syncs.forEach((s) => s.start())
    await Promise.all(syncs.map((s) => s.whenReady()))
    const ids = await Promise.all(devices.map((d, i) => d.db.createDocument({ data: { by: i } })))
    for (const d of devices)
      await eventually(
        async () => (await d.db.getAllDocumentIds()).length === ids.length,
        10_000,
        'every document everywhere',
      )
    expect(await same(devices[0]!, devices[1]!)).toBe(true)
    expect(await same(devices[0]!, devices[2]!)).toBe(true)
    await Promise.all(syncs.map((s) => s.close()))
  })

  it('drains on SIGTERM: its clients are told to go, move to another process at once and lose nothing', async () => {
    const leaving = await startServerProcess(['--postgres', db.url, '--port', '0'])
    const stay = procs[0]!.url
    const {
      devices: [mover, writer],
    } = await setupTenant(stay)
    const moverRemote = remoteAt(mover!, leaving.url, [stay])
    const lm = live(mover!, moverRemote)
    const lw = live(writer!, remoteAt(writer!, stay))
    const seen: SyncStatus[] = []
    lm.subscribe((s) => seen.push(s))
    lm.start()
    lw.start()
    await Promise.all([lm.whenReady(), lw.whenReady()])
    // Both write while the process drains.
    const writing = (async () => {
      for (let i = 0; i < 20; i++) {
        await writer!.db.createDocument({ data: { w: i } })
        await mover!.db.createDocument({ data: { m: i } })
        if (i === 5) void leaving.stop('SIGTERM')
        await new Promise((r) => setImmediate(r))
      }
    })()
    await writing
    expect(await leaving.exited).toBe(0) // drained and exited by itself
    await eventually(async () => (await same(mover!, writer!)) && lm.peek().state === 'up-to-date', 20_000, 'both')
    expect((await mover!.db.getAllDocumentIds()).length).toBe(40)
    const away = seen.find((s) => s.state === 'offline' && s.error?.message.includes('shutting down'))
    expect(away).toMatchObject({ retryInMs: 0 })
    expect(moverRemote.connection.url).toBe(stay)
    await storedExactlyOnce(db.name)
    await Promise.all([lm.close(), lw.close()])
  })
})

/** A TCP forwarder to PostgreSQL that can stop taking connections for a while. */
class Gate {
  #server: Server | undefined
  readonly #port: number
  readonly #target: number
  private constructor(port: number, target: number) {
    this.#port = port
    this.#target = target
  }
  static async open(target: number): Promise<Gate> {
    const probe = createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()))
    const port = (probe.address() as AddressInfo).port
    await new Promise((r) => probe.close(r))
    const g = new Gate(port, target)
    await g.resume()
    return g
  }
  get port(): number {
    return this.#port
  }
  async resume(): Promise<void> {
    const { connect } = await import('node:net')
    this.#server = createServer((client) => {
      const up = connect(this.#target, '127.0.0.1')
      client.pipe(up).pipe(client)
      for (const s of [client, up]) s.on('error', () => (client.destroy(), up.destroy()))
    })
    await new Promise<void>((r) => this.#server!.listen(this.#port, '127.0.0.1', () => r()))
  }
  /** New connections are refused; open ones stay. */
  pause(): void {
    this.#server?.close() // stops listening now; the open connections finish later
    this.#server = undefined
  }
}

describe('a notice lost while the LISTEN connection was down', () => {
  it('is made good by a catch-up read of every live subscription when the bus is back', async () => {
    const db = await createTestDatabase('scalegap')
    const writerProc = await startServerProcess(['--postgres', db.url, '--port', '0'])
    const pgPort = Number(new URL(db.url).port)
    const gate = await Gate.open(pgPort)
    const gatedUrl = new URL(db.url)
    gatedUrl.port = String(gate.port)
    const factory = new PostgresStoreFactory({ url: gatedUrl.toString() })
    const bus = factory.clusterBus()
    const reader = await WeftServer.start({ storeFactory: factory, cluster: bus })
    try {
      const {
        devices: [w, r],
      } = await setupTenant(writerProc.url)
      const lw = live(w!, remoteAt(w!, writerProc.url))
      const lr = live(r!, remoteAt(r!, reader.url))
      lw.start()
      lr.start()
      await Promise.all([lw.whenReady(), lr.whenReady()])
      const first = await w!.db.createDocument({ data: { n: 1 } })
      await eventually(async () => (await r!.db.getDocument(first.getId())) !== undefined, 10_000, 'before the cut')

      const gap = new Promise<void>((resolve) => bus.onGap(resolve))
      gate.pause()
      await adminQuery('SELECT pg_terminate_backend($1)', [await bus.listenerPid()])
      const missed = []
      for (let i = 0; i < 5; i++) missed.push(await w!.db.createDocument({ data: { n: 2 + i } }))
      await lw.whenReady() // stored, and notified while the reader was not listening
      expect(await r!.db.getDocument(missed[4]!.getId())).toBeUndefined()
      await gate.resume()
      await gap
      await eventually(async () => (await r!.db.getAllDocumentIds()).length === 6, 10_000, 'the catch-up')
      await Promise.all([lw.close(), lr.close()])
    } finally {
      await reader.close()
      await bus.close()
      await writerProc.stop()
      await db.drop()
    }
  })
})
