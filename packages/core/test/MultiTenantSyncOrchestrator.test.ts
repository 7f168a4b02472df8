import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  ErrorCodes,
  MemoryStoreFactory,
  MultiTenantSyncOrchestrator,
  ready,
  TenantFactory,
  TEST_KDF,
  whereField,
  type Database,
  type OrchestratorEvents,
  type SyncPeer,
  type Tenant,
} from '../src/index.ts'
import { type SyncAuthority } from '../src/backend.ts'
import { manualClock } from './helpers/sharing.ts'

beforeAll(ready)

/** Tenants that trust each other for `orders` and share the key `orders-key` (no grants). */
async function trading(names: string[], storeFactory = new MemoryStoreFactory()) {
  const factory = new TenantFactory({ storeFactory, kdf: TEST_KDF })
  const tenants: Tenant[] = []
  for (const n of names) tenants.push(await factory.createTenant({ tenantId: n, password: `pw-${n}` }))
  for (const t of tenants)
    for (const o of tenants) if (t !== o) await t.addPartner(o.publicProfile(), { dbs: ['orders'] })
  await tenants[0]!.keyBag.generateKey('orders-key')
  for (const t of tenants.slice(1)) await t.acceptSharedKey(tenants[0]!.shareKey('orders-key', t.publicProfile()))
  const dbs = await Promise.all(tenants.map((t) => t.openDB('orders', { keyId: 'orders-key' })))
  return { storeFactory, factory, tenants, dbs }
}

const hashes = async (db: Database) => (await db.getStore().getAllChangeHashes()).sort()

/** A peer that is down: every database open fails. */
function deadPeer(id: string): SyncPeer {
  return { id: id as SyncPeer['id'], openDB: () => Promise.reject(new Error('connection refused')) }
}

/** Wraps a peer so every round it takes part in waits `ms` and is counted. */
function slowPeer(tenant: Tenant, ms: number, gauge: { active: number; max: number }): SyncPeer {
  const authority: SyncAuthority = {
    async guard(request, round) {
      gauge.active++
      gauge.max = Math.max(gauge.max, gauge.active)
      try {
        await new Promise((r) => setTimeout(r, ms))
        return await tenant.syncAuthority.guard(request, round)
      } finally {
        gauge.active--
      }
    },
    receiveKeys: (grantId, sealed) => tenant.syncAuthority.receiveKeys(grantId, sealed),
  }
  return { id: tenant.id, openDB: (n) => tenant.openDB(n), syncAuthority: authority }
}

let orchestrators: MultiTenantSyncOrchestrator[] = []
function orchestrator(...args: ConstructorParameters<typeof MultiTenantSyncOrchestrator>): MultiTenantSyncOrchestrator {
  const o = new MultiTenantSyncOrchestrator(...args)
  orchestrators.push(o)
  return o
}
afterEach(async () => {
  await Promise.all(orchestrators.map((o) => o.stop()))
  orchestrators = []
})

describe('MultiTenantSyncOrchestrator', () => {
  it('syncs a relationship both ways and reports per-database status and events', async () => {
    const {
      tenants: [customer, supplier],
      dbs: [c, s],
    } = await trading(['customer', 'supplier'])
    const clock = manualClock()
    const o = orchestrator({ clock })
    const events: string[] = []
    for (const e of ['relationship-added', 'sync-started', 'sync-completed'] as const) o.on(e, () => events.push(e))
    await o.addRelationship('c-s', customer!, supplier!, ['orders'])
    const order = await c!.createDocument({ data: { item: 'table', status: 'pending' } })
    clock.advance(1000)
    let result = await o.syncAll()
    expect(result).toMatchObject({ synced: ['c-s'], failed: [], sent: 1, received: 0 })
    await s!.changeDoc(order.getId(), (d) => void (d.getData().status = 'confirmed'))
    result = await o.syncAll()
    expect([result.sent, result.received]).toEqual([0, 1])
    expect((await c!.getDocument(order.getId()))?.toJSON()).toEqual({ item: 'table', status: 'confirmed' })
    expect(await hashes(c!)).toEqual(await hashes(s!))
    const status = o.getStatus()
    expect(status.running).toBe(false)
    expect(status.relationships[0]).toMatchObject({
      id: 'c-s',
      localTenant: 'customer',
      partnerTenant: 'supplier',
      direction: 'both',
      enabled: true,
      state: 'idle',
      lastSyncAt: clock(),
      lastError: null,
      consecutiveFailures: 0,
      databases: [
        {
          db: 'orders',
          remoteDb: 'orders',
          sent: 1,
          received: 1,
          lastSent: 0,
          lastReceived: 1,
          upToDate: true,
          lastError: null,
        },
      ],
    })
    // An idle round moves nothing and reads only the stores' heads.
    const scan = vi.spyOn(c!.getStore(), 'scan')
    expect((await o.syncAll()).sent).toBe(0)
    expect(scan).not.toHaveBeenCalled()
    // A new local entry makes the database out of date until the next round.
    await c!.changeDoc(order.getId(), (d) => void (d.getData().paid = true))
    expect(o.getStatus().relationships[0]!.databases[0]!.upToDate).toBe(false)
    await o.syncAll()
    expect(o.getStatus().relationships[0]!.databases[0]!.upToDate).toBe(true)
    expect(events.filter((e) => e === 'sync-completed')).toHaveLength(4)
    expect(events[0]).toBe('relationship-added')
  })

  it('honours direction and a document filter, evaluated by the sending side', async () => {
    const {
      tenants: [a, b],
      dbs: [da, db],
    } = await trading(['a', 'b'])
    const o = orchestrator()
    await o.addRelationship('push-public', a!, b!, ['orders'], {
      direction: 'push',
      filter: whereField('public', true),
    })
    const pub = await da!.createDocument({ data: { public: true } })
    const priv = await da!.createDocument({ data: { public: false } })
    const fromB = await db!.createDocument({ data: { public: true } })
    expect(await o.syncAll()).toMatchObject({ sent: 1, received: 0 })
    expect(await db!.getStore().getAllChangeHashesForDoc(priv.getId())).toEqual([])
    expect(await db!.getDocument(pub.getId())).toBeDefined()
    expect(await da!.getDocument(fromB.getId())).toBeUndefined()
    await expect(o.addRelationship('push-public', a!, b!, ['orders'])).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
    })
    await expect(o.addRelationship('self', a!, a!, ['orders'])).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
    })
    await expect(o.addRelationship('none', a!, b!, [])).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT })
  })

  it('keeps a dead partner in exponential backoff with jitter while the others stay in sync', async () => {
    const {
      tenants: [hub, p1, p2],
      dbs: [h, d1, d2],
    } = await trading(['hub', 'p1', 'p2'])
    const clock = manualClock()
    const o = orchestrator({ clock, random: () => 0.5, intervalMs: 1_000, backoff: { initialMs: 1_000, maxMs: 8_000 } })
    const failures: OrchestratorEvents['sync-failed'][] = []
    o.on('sync-failed', (e) => failures.push(e))
    await o.addRelationship('p1', hub!, p1!, ['orders'])
    await o.addRelationship('dead', hub!, deadPeer('gone'), ['orders'])
    await o.addRelationship('p2', hub!, p2!, ['orders'])
    const delays: number[] = []
    for (let round = 0; round < 12; round++) {
      await h!.createDocument({ data: { round } })
      const before = o.getRelationshipStatus('dead')!.nextRunAt!
      const result = await o.syncDue()
      if (result.failed.length) delays.push(o.getRelationshipStatus('dead')!.nextRunAt! - clock())
      expect(result.failed.map((f) => f.id)).toEqual(before <= clock() ? ['dead'] : [])
      expect(await hashes(d1!)).toEqual(await hashes(h!))
      expect(await hashes(d2!)).toEqual(await hashes(h!))
      clock.advance(1_000)
    }
    // d = min(8 s, 1 s · 2^(n-1)); delay = d/2 + random·d/2 with random = 0.5.
    expect(delays).toEqual([750, 1_500, 3_000, 6_000])
    const dead = o.getRelationshipStatus('dead')!
    expect(dead).toMatchObject({
      state: 'backoff',
      consecutiveFailures: 4,
      lastError: { code: ErrorCodes.PARTNER_UNAVAILABLE },
    })
    expect(dead.databases[0]!.lastError?.code).toBe(ErrorCodes.PARTNER_UNAVAILABLE)
    expect(failures.map((f) => f.consecutiveFailures)).toEqual([1, 2, 3, 4])
    expect(o.getRelationshipStatus('p1')).toMatchObject({ state: 'idle', lastError: null, consecutiveFailures: 0 })
  })

  it('bounds parallel rounds by the concurrency limit', async () => {
    const { tenants } = await trading(['hub', 'a', 'b', 'c', 'd', 'e', 'f'])
    const gauge = { active: 0, max: 0 }
    const o = orchestrator({ concurrency: 2 })
    for (const t of tenants.slice(1)) await o.addRelationship(t.id, tenants[0]!, slowPeer(t, 20, gauge), ['orders'])
    await (await tenants[0]!.openDB('orders')).createDocument({ data: { x: 1 } })
    const result = await o.syncAll()
    expect(result.synced).toHaveLength(6)
    expect(result.sent).toBe(6)
    expect(gauge.max).toBe(2)
  })

  it('runs on schedules once started, and stop() waits for the rounds in flight', async () => {
    const {
      tenants: [a, b],
      dbs: [da, db],
    } = await trading(['a', 'b'])
    const gauge = { active: 0, max: 0 }
    const o = orchestrator({ intervalMs: 10 })
    await o.addRelationship('a-b', a!, slowPeer(b!, 30, gauge), ['orders'])
    o.start()
    const doc = await da!.createDocument({ data: { n: 1 } })
    await vi.waitFor(async () => expect(await db!.getDocument(doc.getId())).toBeDefined(), {
      timeout: 2_000,
      interval: 5,
    })
    await da!.changeDoc(doc, (d) => void (d.getData().n = 2))
    await vi.waitFor(() => expect(gauge.active).toBe(1), { timeout: 2_000, interval: 1 })
    await o.stop()
    // The round that was in flight finished: its entry arrived and its cursor was saved.
    expect(gauge.active).toBe(0)
    expect((await db!.getDocument(doc.getId()))?.toJSON()).toEqual({ n: 2 })
    expect(o.getRelationshipStatus('a-b')!.databases[0]).toMatchObject({ sent: 2, upToDate: true })
    expect(o.getStatus()).toMatchObject({ running: false, inFlight: 0 })
    const settled = o.getRelationshipStatus('a-b')!
    await new Promise((r) => setTimeout(r, 50))
    expect(o.getRelationshipStatus('a-b')!.lastSyncAt).toBe(settled.lastSyncAt) // nothing ran after stop()
  })

  it('enables, disables and removes relationships', async () => {
    const {
      tenants: [a, b],
      dbs: [da, db],
    } = await trading(['a', 'b'])
    const o = orchestrator()
    const seen: string[] = []
    for (const e of ['relationship-disabled', 'relationship-enabled', 'relationship-removed'] as const)
      o.on(e, (p) => seen.push(`${e}:${p.relationshipId}`))
    await o.addRelationship('a-b', a!, b!, ['orders'])
    await o.disableRelationship('a-b')
    await da!.createDocument({ data: { n: 1 } })
    expect((await o.syncAll()).synced).toEqual([])
    expect(o.getRelationshipStatus('a-b')).toMatchObject({ enabled: false, state: 'disabled', nextRunAt: null })
    await o.enableRelationship('a-b')
    expect((await o.syncAll()).sent).toBe(1)
    expect(await o.removeRelationship('a-b')).toBe(true)
    expect(await o.removeRelationship('a-b')).toBe(false)
    expect(o.getStatus().relationships).toEqual([])
    await expect(o.enableRelationship('a-b')).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT })
    // Removing forgot its state: added again, it starts from zero counters.
    await o.addRelationship('a-b', a!, b!, ['orders'])
    expect(o.getRelationshipStatus('a-b')!.databases[0]).toMatchObject({ sent: 0, received: 0, lastSyncAt: null })
    expect(await hashes(db!)).toEqual(await hashes(da!))
    expect(seen).toEqual(['relationship-disabled:a-b', 'relationship-enabled:a-b', 'relationship-removed:a-b'])
  })

  it('resumes cursors, counters and flags after a restart over the same storage', async () => {
    const storeFactory = new MemoryStoreFactory()
    const {
      factory,
      tenants: [a, b, c],
      dbs: [da],
    } = await trading(['a', 'b', 'c'], storeFactory)
    const o = orchestrator()
    await o.addRelationship('a-b', a!, b!, ['orders'])
    await o.addRelationship('a-c', a!, c!, ['orders'], { direction: 'push' })
    for (let i = 0; i < 3; i++) await da!.createDocument({ data: { i } })
    await o.syncAll()
    await o.disableRelationship('a-c')
    await o.stop()
    for (const t of [a, b, c]) await t!.close()

    const [a2, b2, c2] = await Promise.all(
      ['a', 'b', 'c'].map((id) => factory.openTenant(id, { password: `pw-${id}` })),
    )
    const o2 = orchestrator()
    await o2.addRelationship('a-b', a2!, b2!, ['orders'])
    await o2.addRelationship('a-c', a2!, c2!, ['orders'], { direction: 'push' })
    expect(o2.getRelationshipStatus('a-b')!.databases[0]).toMatchObject({ sent: 3, received: 0 })
    expect(o2.getRelationshipStatus('a-c')).toMatchObject({ enabled: false })
    const da2 = await a2!.openDB('orders')
    const scan = vi.spyOn(da2.getStore(), 'scan')
    expect((await o2.syncAll()).sent).toBe(0)
    expect(scan).not.toHaveBeenCalled() // the saved cursors say there is nothing new
    await da2.createDocument({ data: { i: 3 } })
    expect((await o2.syncAll()).sent).toBe(1)
    expect(o2.getRelationshipStatus('a-b')!.databases[0]!.sent).toBe(4)
  })

  it('sends unchanged documents that match a relationship filter changed across a restart', async () => {
    const storeFactory = new MemoryStoreFactory()
    const {
      factory,
      tenants: [a, b],
      dbs: [da],
    } = await trading(['a', 'b'], storeFactory)
    const o = orchestrator()
    await o.addRelationship('a-b', a!, b!, ['orders'], { direction: 'push', filter: whereField('region', 'north') })
    const north = await da!.createDocument({ data: { region: 'north' } })
    const south = await da!.createDocument({ data: { region: 'south' } })
    expect((await o.syncAll()).sent).toBe(1)
    await o.stop()
    for (const t of [a, b]) await t!.close()

    const [a2, b2] = await Promise.all(['a', 'b'].map((id) => factory.openTenant(id, { password: `pw-${id}` })))
    const o2 = orchestrator()
    await o2.addRelationship('a-b', a2!, b2!, ['orders'], { direction: 'push', filter: whereField('region', 'south') })
    // Nothing was written since: only the changed filter makes the transfer due.
    expect((await o2.syncAll()).sent).toBe(1)
    const db2 = await b2!.openDB('orders')
    expect((await db2.getAllDocumentIds()).sort()).toEqual([north.getId(), south.getId()].sort())
    expect((await o2.syncAll()).sent).toBe(0)
  })
})
