import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSigningKeyPair, ready } from '@weft/core/backend'
import { MemoryStoreFactory, TenantFactory, TEST_KDF } from '@weft/core'
import { registerMembers, RemoteChangeStore, ServerConnection } from '@weft/client'
import { EntryFactory, envelope } from '@weft/core/testing'
import { WeftServer } from '@weft/server'

// An append through a RemoteChangeStore is one push per batch: the server drops what it holds and
// says so per entry, so the client asks nothing before it pushes.

let server: WeftServer
beforeAll(async () => {
  await ready()
  server = await WeftServer.start({ limits: { requestsPerSecond: 10_000, burst: 10_000 } })
})
afterAll(() => server.close())

/** The database operations a connection asked the server for, in order. */
function counted(tenant: string, key: ConstructorParameters<typeof ServerConnection>[0]['key']) {
  const ops: string[] = []
  const fetchCounting: typeof fetch = (input, init) => {
    const path = new URL(String(input instanceof Request ? input.url : input)).pathname
    const op = /\/db\/[^/]+\/([a-z]+)$/.exec(path)?.[1]
    if (op) ops.push(op)
    return fetch(input, init)
  }
  return { ops, connection: new ServerConnection({ url: server.url, tenant, key, fetch: fetchCounting }) }
}

describe('an append through a RemoteChangeStore', () => {
  it('pushes without asking first, and reports what the server held as existing', async () => {
    const admin = generateSigningKeyPair()
    const device = generateSigningKeyPair()
    const authors = new EntryFactory(3)
    await registerMembers({
      url: server.url,
      tenant: 'appends',
      admin,
      seq: 1,
      add: [device.publicKey, authors.signer.publicKey],
    })
    const { ops, connection } = counted('appends', device)
    const store = new RemoteChangeStore({ connection, db: 'notes' })
    const entries = authors.chains(12).map(envelope)
    const heard: string[] = []
    store.subscribe((added) => heard.push(...added))

    const first = await store.appendMany(entries.slice(0, 8))
    expect(first.added).toHaveLength(8)
    expect(ops).toEqual(['push'])
    ops.length = 0
    const second = await store.appendMany(entries)
    expect([...second.existing].sort()).toEqual(
      entries
        .slice(0, 8)
        .map((e) => e.hash)
        .sort(),
    )
    expect([...second.added].sort()).toEqual(
      entries
        .slice(8)
        .map((e) => e.hash)
        .sort(),
    )
    expect(second.rejected).toEqual([])
    expect(ops).toEqual(['push'])
    expect([...heard].sort()).toEqual(entries.map((e) => e.hash).sort()) // each heard once
    await store.close()
  })

  it('a database pushing to it finds the difference, then pushes it', async () => {
    const tenant = await new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF }).createTenant({
      tenantId: 'pushing',
      password: 'correct horse battery staple',
    })
    await registerMembers({ url: server.url, tenant: 'pushing', admin: tenant.serverSigner(), seq: 1 })
    const db = await tenant.openDB('notes')
    for (let i = 0; i < 5; i++) await db.createDocument({ data: { i } })
    const { ops, connection } = counted('pushing', tenant.serverSigner())
    const report = await db.pushChangesTo(new RemoteChangeStore({ connection, db: 'notes' }))
    expect(report.transferred).toBe(5)
    expect(ops).toEqual(['reconcile', 'push']) // the difference, then the entries: nothing asked twice
  })
})
