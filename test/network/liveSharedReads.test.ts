import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  generateSigningKeyPair,
  MemoryStoreFactory,
  ready,
  type ChangeStore,
  type StoreFactory,
} from '@weft/core/backend'
import { EntryFactory } from '@weft/core/testing'
import { registerMembers, ServerConnection } from '@weft/client'
import { decodeBody, encodeBody, type ClientSocketMessage, type ServerSocketMessage } from '@weft/protocol'
import { WeftServer } from '@weft/server'
import { WebSocket } from 'ws'

/** The storage, counting the reads live push makes of it. */
function counting(factory: StoreFactory, reads: { scan: number; getChanges: number }): StoreFactory {
  return {
    async openChangeStore(name) {
      const store = await factory.openChangeStore(name)
      return new Proxy(store, {
        get(target, prop, receiver) {
          const v = Reflect.get(target, prop, receiver) as unknown
          if (typeof v !== 'function') return v
          // Calls counted: a scan, and a read of entries (capped in bytes or not).
          const counter =
            prop === 'scan' ? 'scan' : prop === 'getChanges' || prop === 'getChangesUpTo' ? 'getChanges' : undefined
          return (...args: unknown[]) => {
            if (counter) reads[counter]++
            return (v as (...a: unknown[]) => unknown).apply(target, args)
          }
        },
      }) as ChangeStore
    },
    openKeyValueStore: (name) => factory.openKeyValueStore(name),
    close: () => factory.close(),
  }
}

const SUBSCRIBERS = 12
const reads = { scan: 0, getChanges: 0 }
let server: WeftServer
beforeAll(async () => {
  await ready()
  server = await WeftServer.start({ storeFactory: counting(new MemoryStoreFactory(), reads) })
})
afterAll(() => server.close())

/** A socket subscribed to `db`, collecting the entries it is sent. */
async function subscriber(connection: ServerConnection, db: string) {
  const token = await connection.token()
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}${connection.tenantPath}/ws?token=${token}`)
  const got = new Set<string>()
  let caughtUp!: () => void
  const first = new Promise<void>((r) => (caughtUp = r))
  ws.on('message', (data) => {
    const m = decodeBody<ServerSocketMessage>(new Uint8Array(data as Buffer), 1 << 20)
    if (m.type !== 'entries') return
    for (const e of m.entries) got.add(e.hash)
    if (m.done) caughtUp()
  })
  await new Promise((r) => ws.once('open', r))
  ws.send(encodeBody({ type: 'subscribe', db, since: null } satisfies ClientSocketMessage))
  await first
  return { got, close: () => ws.close() }
}

describe('live push', () => {
  it('reads what a push stored once for all the subscribers of its database, not once each', async () => {
    const admin = generateSigningKeyPair()
    const author = new EntryFactory(3)
    await registerMembers({ url: server.url, tenant: 'acme', admin, seq: 1, add: [author.signer.publicKey] })
    const connection = new ServerConnection({ url: server.url, tenant: 'acme', key: author.signer })
    const subs = await Promise.all(Array.from({ length: SUBSCRIBERS }, () => subscriber(connection, 'notes')))
    try {
      for (let round = 0; round < 3; round++) {
        const entries = Array.from({ length: 5 }, (_, i) => author.entry(round * 5 + i, [], 64))
        reads.scan = reads.getChanges = 0
        await connection.db('notes', 'push', { entries: entries.map((e) => ({ hash: e.hash, bytes: e.bytes })) })
        for (const s of subs)
          while (!entries.every((e) => s.got.has(e.hash))) await new Promise((r) => setTimeout(r, 5))
        // Every subscriber has every entry; the storage was read a few times, not once per subscriber.
        expect(reads.scan, `round ${round}: scans`).toBeLessThan(SUBSCRIBERS / 2)
        expect(reads.getChanges, `round ${round}: entry reads`).toBeLessThan(SUBSCRIBERS / 2)
        expect(reads.getChanges, `round ${round}: entry reads`).toBeGreaterThan(0)
      }
    } finally {
      for (const s of subs) s.close()
    }
  })
})
