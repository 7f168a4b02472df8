import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerMembers, ServerConnection } from '@weft/client'
import { generateSigningKeyPair, packHashes, ready, type ChangeHash } from '@weft/core/backend'
import { EntryFactory } from '@weft/core/testing'
import {
  decodeBody,
  encodeBody,
  type ClientSocketMessage,
  type ServerSocketMessage,
  type WireEntry,
} from '@weft/protocol'
import { WeftServer } from '@weft/server'
import { PostgresStoreFactory } from '@weft/store-postgres'
import pg from 'pg'
import { WebSocket } from 'ws'
import { createTestDatabase, type TestDatabase } from '../../packages/store-postgres/test/helpers/pgDatabase.ts'

beforeAll(ready)

/**
 * Runs `fn`, counting the statements every pg client sends meanwhile (each one round trip); with
 * `named`, only the prepared statements of that name, or those whose text it matches.
 */
async function countingStatements(fn: () => Promise<void>, named?: string | RegExp): Promise<number> {
  const original = pg.Client.prototype.query
  let n = 0
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0] as string | { name?: string; text?: string } | undefined
    const text = typeof q === 'string' ? q : (q?.text ?? '')
    if (
      named === undefined ||
      (typeof named === 'string' ? typeof q === 'object' && q.name === named : named.test(text))
    )
      n++
    return (original as (...a: unknown[]) => unknown).apply(this, args)
  } as typeof original
  try {
    await fn()
  } finally {
    pg.Client.prototype.query = original
  }
  return n
}

/**
 * Shares its state as any server on PostgreSQL does, but writes its request counts for the other
 * processes hourly instead of every second: those writes are no push's, and would fall into a
 * slow machine's counting window.
 */
const QUIET = { statsIntervalMs: 3_600_000 }

describe('round trips to PostgreSQL of a server sharing its state', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase('round_trips')
  })
  afterAll(() => db.drop())

  /** A signed-in client of a fresh tenant on `server`, and pushes of fresh entries. */
  async function tenantOn(server: WeftServer, tenant: string) {
    const admin = generateSigningKeyPair()
    const author = new EntryFactory(7)
    await registerMembers({ url: server.url, tenant, admin, seq: 1, add: [author.signer.publicKey] })
    const client = new ServerConnection({ url: server.url, tenant, key: author.signer })
    let n = 0
    const push = async (size: number) => {
      const entries = Array.from({ length: size }, (): WireEntry => {
        const e = author.entry(n++, [], 200)
        return { hash: e.hash, bytes: e.bytes }
      })
      const r = await client.db('notes', 'push', { entries })
      expect(r.results.filter((x) => x.status === 'added')).toHaveLength(size)
    }
    return { client, push, pushed: () => n, key: author.signer }
  }

  /** A socket of `client` on `server` subscribed to its database `notes`, after its first page. */
  async function subscribed(server: WeftServer, client: ServerConnection) {
    const token = await client.token()
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}${client.tenantPath}/ws?token=${token}`)
    const got = new Set<string>()
    ws.on('message', (data) => {
      const m = decodeBody<ServerSocketMessage>(new Uint8Array(data as Buffer), 1 << 24)
      if (m.type === 'entries') for (const e of m.entries) got.add(e.hash)
    })
    await new Promise((r) => ws.once('open', r))
    ws.send(encodeBody({ type: 'subscribe', db: 'notes', since: null } satisfies ClientSocketMessage))
    await new Promise((r) => setTimeout(r, 100))
    return {
      got,
      /** Resolves once the socket was sent `n` entries. */
      async holding(n: number) {
        while (got.size < n) await new Promise((r) => setTimeout(r, 5))
      },
      close: () => ws.close(),
    }
  }

  /** Statements a push of `size` entries makes, on average over ten, after two to warm up. */
  async function perPush(push: (size: number) => Promise<void>, size: number): Promise<number> {
    for (let i = 0; i < 2; i++) await push(size)
    const settle = () => new Promise((r) => setTimeout(r, 50)) // notices sent after the answer
    await settle()
    const n = await countingStatements(async () => {
      for (let i = 0; i < 10; i++) await push(size)
      await settle()
    })
    return n / 10
  }

  it('a push of 50 entries makes at most 12 on average, a signed-in usage request at most 4', async () => {
    const server = await WeftServer.start({ storeFactory: new PostgresStoreFactory({ url: db.url }), cluster: QUIET })
    try {
      const { client, push, pushed } = await tenantOn(server, 'acme')
      await client.usage()
      // About 37 while each server record was read and written in a transaction of its own, each
      // read of a change store opened one, an append's transaction took eight round trips (three
      // until its writes went with its commit) and each
      // step of the tenant's use four (lock, read, write, unlock), and the quota warning read the
      // use again; about 15 while every request took a token from the tenant's rate bucket and
      // the live push's notice read the store's head and went in a statement of its own.
      expect(await perPush(push, 50)).toBeLessThanOrEqual(12)
      for (let i = 0; i < 5; i++) {
        const used = await countingStatements(async () => void (await client.usage()))
        expect(used).toBeLessThanOrEqual(4)
      }
      expect((await client.usage()).entries).toBe(pushed())
    } finally {
      await server.close()
    }
  })

  it('a single-entry push makes 9 sharing its state and 5 alone (cluster: false), on average', async () => {
    const shared = await WeftServer.start({ storeFactory: new PostgresStoreFactory({ url: db.url }), cluster: QUIET })
    const alone = await WeftServer.start({
      storeFactory: new PostgresStoreFactory({ url: db.url }),
      cluster: false,
    })
    try {
      // Below the next whole number: room for a timer's statement in the window, none for another per push.
      expect(await perPush((await tenantOn(shared, 'one-shared')).push, 1)).toBeLessThan(10)
      expect(await perPush((await tenantOn(alone, 'one-alone')).push, 1)).toBeLessThan(6)
    } finally {
      await shared.close()
      await alone.close()
    }
  })

  it("a busy tenant's requests take from its rate bucket a few tokens at a time, on every process", async () => {
    const servers = await Promise.all(
      [0, 1].map(() => WeftServer.start({ storeFactory: new PostgresStoreFactory({ url: db.url }), cluster: QUIET })),
    )
    try {
      const { client, key } = await tenantOn(servers[0]!, 'busy')
      const other = new ServerConnection({ url: servers[1]!.url, tenant: 'busy', key })
      await Promise.all([client.usage(), other.usage()])
      const requests = 80
      const takes = await countingStatements(async () => {
        await Promise.all(Array.from({ length: requests }, (_, i) => (i % 2 ? other : client).usage()))
      }, 'weft-take-tokens')
      // One statement a request before leases: each wrote the tenant's one bucket row.
      expect(takes).toBeGreaterThanOrEqual(2)
      expect(takes).toBeLessThanOrEqual(requests / 4)
    } finally {
      await Promise.all(servers.map((s) => s.close()))
    }
  })

  it("a page of 200 entries is one read of their bytes, a live subscriber's and a client's get, and a live page's scan one statement", async () => {
    const server = await WeftServer.start({ storeFactory: new PostgresStoreFactory({ url: db.url }), cluster: QUIET })
    try {
      const { client, push } = await tenantOn(server, 'paged')
      const live = await subscribed(server, client)
      // Entries are read by hash with their bytes: one read per page, not one per 8 entries (the
      // most a page of 8 MiB holds of entries of 1 MiB, without their sizes known).
      const entryReads = /SELECT hash, bytes FROM weft_entries|THEN bytes END/ // by getChanges, getChangesUpTo
      const pages = await countingStatements(async () => {
        await push(200)
        await live.holding(200)
      }, entryReads)
      // A page's scan reads the store's head, checks the cursor's position and reads the page in
      // one statement, not three.
      const scansAlone = await countingStatements(async () => {
        await push(200)
        await live.holding(400)
      }, /^(?![\s\S]*FROM weft_stores)[\s\S]*SELECT hash, seq, doc_id, kind FROM weft_entries/)
      expect(scansAlone).toBe(0)
      const hashes = [...live.got].slice(0, 200) as ChangeHash[]
      let pulled = 0
      const pull = await countingStatements(async () => {
        pulled = (await client.db('notes', 'get', { hashes: packHashes(hashes) })).entries.length
      }, entryReads)
      live.close()
      expect(pulled).toBe(200)
      expect(pages).toBe(1)
      expect(pull).toBe(1)
    } finally {
      await server.close()
    }
  })

  it("a live page reads the tenant's version once to check the subscriber's session and the tenant", async () => {
    const server = await WeftServer.start({ storeFactory: new PostgresStoreFactory({ url: db.url }), cluster: QUIET })
    try {
      const { client, push } = await tenantOn(server, 'checked')
      const live = await subscribed(server, client)
      await push(1) // the tenant's first push, out of the window
      await live.holding(1)
      const reads = await countingStatements(async () => {
        for (let i = 2; i <= 6; i++) {
          await push(1)
          await live.holding(i)
        }
      }, 'weft-counter-read')
      live.close()
      // Per push: one for the push request's check, one for the page's (the session's check and
      // the tenant's status each read it before: three).
      expect(reads).toBeLessThanOrEqual(2 * 5)
    } finally {
      await server.close()
    }
  })
})
