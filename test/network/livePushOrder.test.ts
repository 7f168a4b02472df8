import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSigningKeyPair, MemoryChangeStore, ready, type ChangeHash } from '@weft/core/backend'
import { EntryFactory } from '@weft/core/testing'
import { LiveSync, registerMembers, RemoteChangeStore, ServerConnection } from '@weft/client'
import { WeftServer } from '@weft/server'
import { WebSocket } from 'ws'

beforeAll(ready)

describe('LiveSync pushing a backlog of several batches', () => {
  let server: WeftServer
  beforeAll(async () => {
    server = await WeftServer.start()
  })
  afterAll(() => server.close())

  it('sends it in its own arrival order, so the server never gets an entry before what it depends on', async () => {
    const tenant = `push-order-${process.pid}`
    const author = new EntryFactory(20)
    await registerMembers({ url: server.url, tenant, admin: generateSigningKeyPair(), add: [author.signer.publicKey] })
    // 2,600 entries in 20 chains: reconciliation names them in hash order, three push batches' worth.
    const made = author.chains(2_600)
    const local = new MemoryChangeStore({ maxBatch: made.length })
    await local.appendMany(made)
    const remote = new RemoteChangeStore({
      connection: new ServerConnection({ url: server.url, tenant, key: author.signer }),
      db: 'notes',
    })
    const live = new LiveSync({ local, remote, webSocket: WebSocket })
    live.start()
    try {
      await live.whenReady()
      await expect.poll(async () => (await remote.head()).count, { timeout: 20_000 }).toBe(made.length)
    } finally {
      await live.stop()
    }
    const deps = new Map(made.map((e) => [e.hash, e.header.deps]))
    const seen = new Set<ChangeHash>()
    for (const h of await remote.getAllChangeHashes()) {
      for (const d of deps.get(h)!) expect(seen.has(d), `${h} arrived before its dependency ${d}`).toBe(true)
      seen.add(h)
    }
    expect(seen.size).toBe(made.length)
  })
})
