import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSigningKeyPair, MemoryChangeStore, ready } from '@weft/core/backend'
import { EntryFactory } from '@weft/core/testing'
import { LiveSync, registerMembers, RemoteChangeStore, ServerConnection } from '@weft/client'
import { WebSocket } from 'ws'
import { createTestDatabase, type TestDatabase } from '../../packages/store-postgres/test/helpers/pgDatabase.ts'
import { storedExactlyOnce } from './helpers/clusterClients.ts'
import { eventually } from './helpers/devices.ts'
import { startServerProcess, type ServerProcess } from './helpers/serverProcess.ts'

const CLIENTS = 50
const ENTRIES_PER_CLIENT = 6

beforeAll(ready)

describe('SIGKILL of one of three relay processes mid-push', () => {
  let db: TestDatabase
  let procs: ServerProcess[]
  beforeAll(async () => {
    db = await createTestDatabase('scalekill')
    const args = ['--postgres', db.url, '--port', '0']
    const first = await startServerProcess(args)
    procs = [first, ...(await Promise.all([0, 1].map(() => startServerProcess(args))))]
  }, 60_000)
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()))
    await db.drop()
  })

  it('every client moves to another process and converges; every entry is stored exactly once', async () => {
    const urls = procs.map((p) => p.url)
    const tenant = `kill-${process.pid}`
    // Light clients: each a member key that signs its entries, a store in memory, and a live sync.
    const writers = Array.from({ length: CLIENTS }, () => new EntryFactory(3))
    const admin = generateSigningKeyPair()
    await registerMembers({ url: urls[0]!, tenant, admin, seq: 1, add: writers.map((w) => w.signer.publicKey) })
    const clients = writers.map((w, i) => {
      // Client i starts on process i mod 3 and knows the other two (client-side failover).
      const order = [0, 1, 2].map((k) => urls[(i + k) % 3]!)
      const connection = new ServerConnection({ url: order[0]!, failoverUrls: order.slice(1), tenant, key: w.signer })
      const remote = new RemoteChangeStore({ connection, db: 'feed' })
      const local = new MemoryChangeStore()
      const sync = new LiveSync({ local, remote, webSocket: WebSocket, backoff: { initialMs: 50, maxMs: 500 } })
      return { writer: w, connection, local, sync }
    })
    clients.forEach((c) => c.sync.start())
    await Promise.all(clients.map((c) => c.sync.whenReady()))

    let written = 0
    let killed: Promise<number | null> | undefined
    await Promise.all(
      clients.map(async (c) => {
        for (let k = 0; k < ENTRIES_PER_CLIENT; k++) {
          await c.local.append(c.writer.entry(k % 3))
          if (++written === Math.floor((CLIENTS * ENTRIES_PER_CLIENT) / 3)) killed = procs[2]!.stop('SIGKILL')
          await new Promise((r) => setTimeout(r, 5))
        }
      }),
    )
    expect(await killed).toBeNull() // ended by the signal

    const expected = CLIENTS * ENTRIES_PER_CLIENT
    await eventually(
      async () => {
        const heads = await Promise.all(clients.map((c) => c.local.head()))
        return heads.every((h) => h.count === expected) && clients.every((c) => c.sync.peek().state === 'up-to-date')
      },
      150_000,
      'every client holding every entry',
    )
    // Every client left the killed process and holds each entry once: the same set as every other.
    for (const c of clients) expect(c.connection.url).not.toBe(urls[2])
    const sets = await Promise.all(clients.map((c) => c.local.getAllChangeHashes()))
    const all = [...sets[0]!].sort()
    for (const s of sets) {
      expect(new Set(s).size).toBe(expected)
      expect([...s].sort()).toEqual(all)
    }
    // The server: each entry once, arrival numbers without a gap.
    expect(await storedExactlyOnce(db.name)).toBe(expected)
    await Promise.all(clients.map((c) => c.sync.close()))
  }, 240_000)
})
