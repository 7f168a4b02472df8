import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, ready } from '@weft/core'
import { LiveSync, RemoteChangeStore, type SyncStatus } from '@weft/client'
import { WeftServer, type TenantQuota } from '@weft/server'
import { WebSocket } from 'ws'
import { eventually, setupTenant } from './helpers/devices.ts'

// What an app using LiveSync sees when the server's per-tenant quotas refuse it: the refusal in the
// status (never "up to date" while the server lacks entries), growing retry delays, nothing lost,
// and everything delivered once the operator raises the quota.

const backoff = { initialMs: 20, maxMs: 2_000 }
/** Per-tenant overrides, read by the server on every request, so a test can raise a quota mid-run. */
const overrides = new Map<string, Partial<TenantQuota>>()

let server: WeftServer
beforeAll(async () => {
  await ready()
  server = await WeftServer.start({ quotas: { forTenant: (t) => overrides.get(t) } })
})
afterAll(() => server.close())

describe('live sync under server quotas', () => {
  it('reports entries the server refused for the quota, and delivers them once the quota is raised', async () => {
    const {
      tenantId,
      devices: [a],
    } = await setupTenant(server.url, { count: 1 })
    overrides.set(tenantId, { maxEntriesPerTenant: 3 })
    const docs = []
    for (let i = 0; i < 5; i++) docs.push(await a!.db.createDocument({ data: { i } }))
    const live = new LiveSync({ local: a!.db, remote: a!.remote, webSocket: WebSocket, backoff })
    live.start()
    // Up to date with nothing pending, but two entries refused: whenReady must not say all is well.
    await expect(live.whenReady()).rejects.toMatchObject({ code: ErrorCodes.QUOTA_EXCEEDED })
    expect(live.peek()).toMatchObject({ state: 'up-to-date', pending: 0, refused: { count: 2 } })
    expect((await a!.connection.usage()).entries).toBe(3)
    // The refused entries are still here, and still readable.
    for (const d of docs) expect((await a!.db.getDocument(d.getId()))?.toJSON()).toEqual(d.toJSON())

    // A new local edit is refused too while the tenant is full; the count follows.
    await a!.db.changeDoc(docs[0]!.getId(), (d) => void (d.getData().i = 10))
    await eventually(
      () => live.peek().state === 'up-to-date' && (live.peek() as { refused?: { count: number } }).refused?.count === 3,
      5_000,
      'third refusal',
    )

    // The operator raises the quota; the next connection offers the refused entries again.
    overrides.set(tenantId, { maxEntriesPerTenant: 100 })
    await live.stop()
    expect(live.peek()).toMatchObject({ state: 'offline', refused: { count: 3 } })
    live.start()
    await live.whenReady()
    expect(live.peek()).toEqual({ state: 'up-to-date', pending: 0 })
    const onServer = new Set(await a!.remote.getAllChangeHashes())
    for (const h of await a!.db.getStore().getAllChangeHashes()) expect(onServer.has(h)).toBe(true)
    await live.close()
  })

  it("backs off with growing delays while its database is over the tenant's limit, and syncs once it is raised", async () => {
    const {
      tenantId,
      devices: [a],
    } = await setupTenant(server.url, { count: 1 })
    overrides.set(tenantId, { maxDatabasesPerTenant: 1 })
    await a!.connection.db('other', 'head', {}) // the tenant's one database
    await a!.db.createDocument({ data: { kept: true } })
    const live = new LiveSync({ local: a!.db, remote: a!.remote, webSocket: WebSocket, backoff })
    const offline: Extract<SyncStatus, { state: 'offline' }>[] = []
    live.subscribe((s) => void (s.state === 'offline' && s.error && offline.push(s)))
    live.start()
    await eventually(() => offline.length >= 4, 10_000, 'four refused connections')
    for (const s of offline) expect(s.error?.code).toBe(ErrorCodes.QUOTA_EXCEEDED)
    // Equal-jitter backoff: attempt n waits between half and all of initialMs * 2^(n-1). Had each
    // refused connection reset the backoff, every delay would stay at most initialMs.
    expect(offline[3]!.retryInMs).toBeGreaterThanOrEqual(backoff.initialMs * 4)

    overrides.set(tenantId, { maxDatabasesPerTenant: 2 })
    await live.whenReady()
    expect(await a!.remote.getAllChangeHashes()).toEqual(await a!.db.getStore().getAllChangeHashes())
    await live.close()
  })

  it('reconnects at the limit of databases to a database it has, which counts once', async () => {
    const {
      tenantId,
      devices: [a],
    } = await setupTenant(server.url, { count: 1 })
    overrides.set(tenantId, { maxDatabasesPerTenant: 1 })
    const live = new LiveSync({
      local: a!.db,
      remote: new RemoteChangeStore({ connection: a!.connection, db: 'notes' }),
      webSocket: WebSocket,
      backoff,
    })
    live.start()
    await live.whenReady()
    await live.stop()
    live.start()
    await live.whenReady()
    expect((await a!.connection.usage()).databases).toBe(1)
    await live.close()
  })
})
