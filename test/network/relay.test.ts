import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ErrorCodes,
  generateSigningKeyPair,
  MultiTenantSyncOrchestrator,
  ready,
  type ChangeStore,
  type GrantOffer,
  type Tenant,
} from '@weft/core'
import { GrantRelay, registerMembers, RemoteChangeStore, ServerConnection } from '@weft/client'
import { relaySpaceOf } from '../../packages/client/src/relay/relaySpaceOf.ts'
import { WeftServer } from '@weft/server'
import { LevelStoreFactory } from '@weft/store-level'
import { connectGrant, relaySide, type RelaySide } from './helpers/relaySide.ts'

// Two tenants that share nothing but a server URL: each has its own storage, its own
// orchestrator and its own GrantRelay; the grant offer travels as JSON.

let server: WeftServer
beforeAll(async () => {
  await ready()
  server = await WeftServer.start()
})
afterAll(() => server.close())

type Order = { item: string; status: string; region?: string }

const side = (name: string, clock?: () => number): Promise<RelaySide> => relaySide(server.url, name, clock)

/** A supplier that shares `orders` with a customer; the offer crosses as JSON, as it would between processes. */
async function pair(
  share: {
    permissions?: ('read' | 'write')[]
    filter?: { where: Record<string, string> }
    expiresAt?: number
    clock?: () => number
  } = {},
) {
  const supplier = await side('supplier', share.clock)
  const customer = await side('customer', share.clock)
  await supplier.tenant.keyBag.generateKey('orders-key')
  const orders = await supplier.tenant.openDB('orders', { keyId: 'orders-key' })
  const offer = await supplier.tenant.sharing.share({
    partner: customer.tenant.publicProfile(),
    databases: ['orders'],
    keys: ['orders-key'],
    permissions: share.permissions ?? ['read', 'write'],
    ...(share.filter ? { filter: share.filter } : {}),
    ...(share.expiresAt ? { expiresAt: share.expiresAt } : {}),
  })
  await customer.tenant.sharing.accept(JSON.parse(JSON.stringify(offer)) as GrantOffer)
  const grantId = offer.grant.id
  const write = (share.permissions ?? ['read', 'write']).includes('write')
  await supplier.orchestrator.addRelationship(
    'to-customer',
    supplier.tenant,
    await supplier.relay.peer(grantId),
    ['orders'],
    {
      grantId,
      direction: write ? 'both' : 'push',
    },
  )
  await customer.orchestrator.addRelationship(
    'from-supplier',
    customer.tenant,
    await customer.relay.peer(grantId),
    ['orders'],
    {
      grantId,
      direction: write ? 'both' : 'pull',
    },
  )
  const customerOrders = await customer.tenant.openDB('orders')
  return {
    supplier,
    customer,
    orders,
    customerOrders,
    grantId,
    close: () => Promise.all([supplier.close(), customer.close()]),
  }
}

/**
 * A supplier pushing `orders` (one document so far) to a customer through the server at `url`,
 * each with a GrantRelay of its own, after one round each.
 */
async function pushPullOn(url: string) {
  const supplier = await side('supplier')
  const customer = await side('customer')
  await supplier.tenant.keyBag.generateKey('k')
  const orders = await supplier.tenant.openDB('orders', { keyId: 'k' })
  await orders.createDocument({ data: { n: 1 } })
  const offer = await supplier.tenant.sharing.share({ partner: customer.tenant.publicProfile(), databases: ['orders'] })
  await customer.tenant.sharing.accept(offer)
  const grantId = offer.grant.id
  const supplierRelay = new GrantRelay({ url, tenant: supplier.tenant })
  const customerRelay = new GrantRelay({ url, tenant: customer.tenant })
  await supplier.orchestrator.addRelationship('out', supplier.tenant, await supplierRelay.peer(grantId), ['orders'], {
    grantId,
    direction: 'push',
  })
  await customer.orchestrator.addRelationship('in', customer.tenant, await customerRelay.peer(grantId), ['orders'], {
    grantId,
    direction: 'pull',
  })
  expect((await supplier.orchestrator.syncAll()).failed).toEqual([])
  expect((await customer.orchestrator.syncAll()).received).toBe(1)
  return { supplier, customer, orders, grantId, supplierRelay, customerRelay }
}

describe('grants between processes, through a relay space on a server', () => {
  it("delivers the supplier's orders and accepts the customer's changes back, each side running its own orchestrator", async () => {
    const p = await pair()
    const order = await p.orders.createDocument<Order>({ data: { item: 'oak table', status: 'pending' } })
    const out = await p.supplier.orchestrator.syncAll()
    expect(out.failed).toEqual([])
    expect(out.sent).toBeGreaterThan(0)
    const inbound = await p.customer.orchestrator.syncAll()
    expect(inbound.failed).toEqual([])
    expect(inbound.received).toBe(out.sent)
    expect((await p.customerOrders.getDocument<Order>(order.getId()))!.getData().status).toBe('pending')

    await p.customerOrders.changeDoc<Order>(order.getId(), (d) => void (d.getData().status = 'confirmed'))
    expect((await p.customer.orchestrator.syncAll()).sent).toBe(1)
    expect((await p.supplier.orchestrator.syncAll()).received).toBe(1)
    expect((await p.orders.getDocument<Order>(order.getId()))!.getData().status).toBe('confirmed')

    // Nothing new: both sides are idle and up to date.
    for (const s of [p.supplier, p.customer]) {
      const r = await s.orchestrator.syncAll()
      expect(r.sent + r.received).toBe(0)
      expect(s.orchestrator.getStatus().relationships[0]!.databases[0]!.upToDate).toBe(true)
    }
    // Both audit trails record the syncs; the relay's copy holds only ciphertext the server checked.
    expect((await p.supplier.tenant.audit.query({ action: 'sync' })).length).toBeGreaterThanOrEqual(2)
    expect((await p.customer.tenant.audit.query({ action: 'sync' })).length).toBeGreaterThanOrEqual(2)
    await p.close()
  })

  it("a partner that pushes documents of its own into the space gets nothing into the issuer's database", async () => {
    const p = await pair()
    await p.orders.createDocument<Order>({ data: { item: 'real', status: 'new' } })
    await p.supplier.orchestrator.syncAll()
    await p.customer.orchestrator.syncAll()
    // The customer skips its own checks and writes straight to the space.
    const own = await p.customerOrders.createDocument<Order>({ data: { item: 'injected', status: 'free' } })
    const space = new RemoteChangeStore({ connection: spaceConnection(p.customer.tenant, p.grantId), db: 'orders' })
    expect((await p.customerOrders.pushChangesTo(space)).transferred).toBe(1)
    const round = await p.supplier.orchestrator.syncAll()
    expect(round.failed).toEqual([])
    expect(await p.orders.getDocument(own.getId())).toBeUndefined()
    expect(await p.orders.getDocumentStatus(own.getId())).toBe('untrusted')
    expect((await p.orders.retryHeld()).untrusted.map((h) => h.code)).toEqual([ErrorCodes.ORIGIN_NOT_LINKED])
    await space.close()
    await p.close()
  })

  it("applies the grant filter in the issuer's process: the relay never holds a document outside it", async () => {
    const p = await pair({ filter: { where: { region: 'north' } } })
    const north = await p.orders.createDocument<Order>({ data: { item: 'a', status: 'new', region: 'north' } })
    const south = await p.orders.createDocument<Order>({ data: { item: 'b', status: 'new', region: 'south' } })
    await p.supplier.orchestrator.syncAll()
    const space = new RemoteChangeStore({ connection: spaceConnection(p.customer.tenant, p.grantId), db: 'orders' })
    expect(await space.getAllChangeHashesForDoc(south.getId())).toEqual([])
    expect((await space.getAllChangeHashesForDoc(north.getId())).length).toBe(1)
    await p.customer.orchestrator.syncAll()
    expect(await p.customerOrders.getAllDocumentIds()).toEqual([north.getId()])
    await space.close()
    await p.close()
  })

  it("hands a rotated key over through the space's mailbox, so documents under the new version stay readable", async () => {
    const p = await pair()
    const third = await side('third')
    // Revoking a second grant of the same key rotates it for everyone.
    const other = await p.supplier.tenant.sharing.share({
      partner: third.tenant.publicProfile(),
      databases: ['orders'],
      keys: ['orders-key'],
    })
    await p.supplier.tenant.sharing.revoke(other.grant.id)
    expect(p.supplier.tenant.keyBag.current('orders-key').version).toBe(2)
    const later = await p.orders.createDocument<Order>({ data: { item: 'after rotation', status: 'new' } })
    expect((await p.supplier.orchestrator.syncAll()).failed).toEqual([])
    // What crosses the server is sealed to the customer: the mailbox holds one opaque message, addressed to it.
    const space = spaceConnection(p.customer.tenant, p.grantId)
    const mail = await space.mail('list', { after: 0 })
    expect(mail.messages).toHaveLength(1)
    expect(
      Buffer.from(mail.messages[0]!.body).includes(Buffer.from(p.supplier.tenant.keyBag.current('orders-key').key)),
    ).toBe(false)
    expect(Buffer.from(mail.messages[0]!.to!).equals(Buffer.from(p.customer.tenant.serverSigner().publicKey))).toBe(
      true,
    )
    expect((await p.customer.orchestrator.syncAll()).failed).toEqual([])
    expect((await p.customerOrders.getDocument<Order>(later.getId()))!.getData().item).toBe('after rotation')
    expect(p.customer.tenant.keyBag.current('orders-key').version).toBe(2)
    // The customer acknowledged the keys it imported: the mailbox is empty again.
    expect((await space.mail('list', { after: 0 })).messages).toEqual([])
    await third.close()
    await p.close()
  })

  it('revocation shuts the partner out: its rounds fail WEFT_GRANT_REVOKED, its books say so, and it can no longer push', async () => {
    const p = await pair()
    await p.orders.createDocument<Order>({ data: { item: 'before', status: 'new' } })
    await p.supplier.orchestrator.syncAll()
    await p.customer.orchestrator.syncAll()
    await p.supplier.tenant.sharing.revoke(p.grantId)
    const after = await p.orders.createDocument<Order>({ data: { item: 'after', status: 'new' } })
    const refused = await p.supplier.orchestrator.syncAll()
    expect(refused.failed.map((f) => f.error.code)).toEqual([ErrorCodes.GRANT_REVOKED])

    const round = await p.customer.orchestrator.syncAll()
    expect(round.failed.map((f) => f.error.code)).toEqual([ErrorCodes.GRANT_REVOKED])
    expect(p.customer.orchestrator.getStatus().relationships[0]!.lastError!.code).toBe(ErrorCodes.GRANT_REVOKED)
    expect((await p.customer.tenant.sharing.get(p.grantId))!.status).toBe('revoked')
    expect((await p.customer.tenant.audit.query({ action: 'denied' })).map((r) => r.code)).toContain(
      ErrorCodes.GRANT_REVOKED,
    )
    expect(await p.customerOrders.getDocument(after.getId())).toBeUndefined()

    // The customer's own key is refused by the space: it cannot sign in, so it cannot push either.
    const space = new RemoteChangeStore({ connection: spaceConnection(p.customer.tenant, p.grantId), db: 'orders' })
    await expect(space.head()).rejects.toMatchObject({ code: ErrorCodes.FORBIDDEN })
    await space.close()
    await p.close()
  })

  it("an expired grant shuts the partner out at the issuer's next round and reads as WEFT_GRANT_EXPIRED on both sides", async () => {
    let now = Date.now()
    const expiresAt = now + 60_000
    const p = await pair({ expiresAt, clock: () => now })
    await p.orders.createDocument<Order>({ data: { item: 'in time', status: 'new' } })
    await p.supplier.orchestrator.syncAll()
    expect((await p.customer.orchestrator.syncAll()).received).toBeGreaterThan(0)
    now = expiresAt + 1
    await p.orders.createDocument<Order>({ data: { item: 'too late', status: 'new' } })
    expect((await p.supplier.orchestrator.syncAll()).failed.map((f) => f.error.code)).toEqual([
      ErrorCodes.GRANT_EXPIRED,
    ])
    expect((await p.customer.orchestrator.syncAll()).failed.map((f) => f.error.code)).toEqual([
      ErrorCodes.GRANT_EXPIRED,
    ])
    expect((await p.customer.tenant.sharing.get(p.grantId))!.status).toBe('expired')
    expect(await p.customerOrders.getAllDocumentIds()).toHaveLength(1)
    await p.close()
  })

  it("the server itself shuts an expired partner out, though the issuer runs no round and the partner's clock lags", async () => {
    const expiresAt = Date.now() + 1_500
    const supplier = await side('supplier')
    const customer = await side('customer', () => expiresAt - 60_000) // a clock a minute behind at expiry
    await supplier.tenant.keyBag.generateKey('k')
    const orders = await supplier.tenant.openDB('orders', { keyId: 'k' })
    const offer = await supplier.tenant.sharing.share({
      partner: customer.tenant.publicProfile(),
      databases: ['orders'],
      keys: ['k'],
      expiresAt,
    })
    await customer.tenant.sharing.accept(offer)
    const grantId = offer.grant.id
    await connectGrant(supplier, customer, grantId, ['orders'], 'one-way')
    await orders.createDocument({ data: { n: 1 } })
    expect((await supplier.orchestrator.syncAll()).failed).toEqual([])
    expect((await customer.orchestrator.syncAll()).received).toBe(1)
    const late = await orders.createDocument({ data: { n: 2 } })
    expect((await supplier.orchestrator.syncAll()).sent).toBe(1) // in the space before expiry
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 100))
    // The customer's own check passes (its clock says there is a minute left); the server's does not.
    const after = await customer.orchestrator.syncAll()
    expect(after.failed.map((f) => f.error.code)).toEqual([ErrorCodes.GRANT_EXPIRED])
    expect(await (await customer.tenant.openDB('orders')).getDocument(late.getId())).toBeUndefined()
    await Promise.all([supplier.close(), customer.close()])
  })

  it("two write partners in other processes see each other's changes: the issuer vouches for them in each space", async () => {
    const source = await side('supplier')
    const [a, b] = [await side('warehouse-a'), await side('warehouse-b')]
    await source.tenant.keyBag.generateKey('orders-key')
    const orders = await source.tenant.openDB('orders', { keyId: 'orders-key' })
    const grants: string[] = []
    for (const partner of [a, b]) {
      const offer = await source.tenant.sharing.share({
        partner: partner.tenant.publicProfile(),
        databases: ['orders'],
        keys: ['orders-key'],
        permissions: ['read', 'write'],
      })
      await partner.tenant.sharing.accept(JSON.parse(JSON.stringify(offer)) as GrantOffer)
      const grantId = offer.grant.id
      grants.push(grantId)
      await source.orchestrator.addRelationship(
        `to-${partner.tenant.id}`,
        source.tenant,
        await source.relay.peer(grantId),
        ['orders'],
        { grantId, direction: 'both' },
      )
      await partner.orchestrator.addRelationship(
        'from-source',
        partner.tenant,
        await partner.relay.peer(grantId),
        ['orders'],
        { grantId, direction: 'both' },
      )
    }
    const order = await orders.createDocument<Order>({ data: { item: 'crate', status: 'new' } })
    const rounds = async (...who: RelaySide[]) => {
      for (const w of who) expect((await w.orchestrator.syncAll()).failed).toEqual([])
    }
    await rounds(source, a, b)
    const atA = await a.tenant.openDB('orders')
    const atB = await b.tenant.openDB('orders')
    expect((await atB.getDocument<Order>(order.getId()))?.getData().status).toBe('new')

    // Warehouse B packs the order; the change travels B → its space → the source → A's space → A.
    await atB.changeDoc<Order>(order.getId(), (d) => void (d.getData().status = 'packed'))
    await rounds(b, source, source, a)
    expect((await orders.getDocument<Order>(order.getId()))?.getData().status).toBe('packed')
    expect((await atA.getDocument<Order>(order.getId()))?.getData().status).toBe('packed')
    // And back the other way: A ships it, B sees it.
    await atA.changeDoc<Order>(order.getId(), (d) => void (d.getData().status = 'shipped'))
    await rounds(a, source, source, b)
    expect((await atB.getDocument<Order>(order.getId()))?.getData().status).toBe('shipped')

    // B's key may author entries in A's space, but never sign in there.
    const intoA = new ServerConnection({
      url: server.url,
      tenant: relaySpaceOf(grants[0]!),
      key: b.tenant.serverSigner(),
    })
    await expect(intoA.token()).rejects.toMatchObject({ code: ErrorCodes.UNAUTHORIZED })
    await Promise.all([source.close(), a.close(), b.close()])
  })

  it("an issuer that restarts against a server that lost its storage still passes co-writers' changes on", async () => {
    let own = await WeftServer.start()
    const port = own.port
    const source = await side('supplier')
    const [a, b] = [await side('warehouse-a'), await side('warehouse-b')]
    await source.tenant.keyBag.generateKey('orders-key')
    const orders = await source.tenant.openDB('orders', { keyId: 'orders-key' })
    const grants: string[] = []
    const relays = [a, b].map((p) => new GrantRelay({ url: own.url, tenant: p.tenant }))
    for (const [i, partner] of [a, b].entries()) {
      const offer = await source.tenant.sharing.share({
        partner: partner.tenant.publicProfile(),
        databases: ['orders'],
        keys: ['orders-key'],
        permissions: ['read', 'write'],
      })
      await partner.tenant.sharing.accept(offer)
      grants.push(offer.grant.id)
      await partner.orchestrator.addRelationship(
        'from-source',
        partner.tenant,
        await relays[i]!.peer(offer.grant.id),
        ['orders'],
        { grantId: offer.grant.id, direction: 'both' },
      )
    }
    /** The source's relay and orchestrator, as a fresh process would make them. */
    const sourceProcess = async () => {
      const relay = new GrantRelay({ url: own.url, tenant: source.tenant })
      const orchestrator = new MultiTenantSyncOrchestrator({ backoff: { initialMs: 1, maxMs: 2 } })
      for (const [i, grantId] of grants.entries()) {
        await orchestrator.addRelationship(`to-${i}`, source.tenant, await relay.peer(grantId), ['orders'], {
          grantId,
          direction: 'both',
        })
      }
      return { relay, orchestrator }
    }
    let proc = await sourceProcess()
    const order = await orders.createDocument<Order>({ data: { item: 'crate', status: 'new' } })
    const round = async (o: MultiTenantSyncOrchestrator) => expect((await o.syncAll()).failed).toEqual([])
    await round(proc.orchestrator)
    await round(a.orchestrator)
    await round(b.orchestrator)

    // The source's process ends; the server loses everything; the source starts again.
    await proc.orchestrator.stop()
    await proc.relay.close()
    await own.close()
    own = await WeftServer.start({ port })
    proc = await sourceProcess()
    await proc.orchestrator.syncAll() // the spaces are opened again: the first attempt finds them gone
    await round(proc.orchestrator)
    await round(b.orchestrator)
    const atB = await b.tenant.openDB('orders')
    await atB.changeDoc<Order>(order.getId(), (d) => void (d.getData().status = 'packed'))
    await round(b.orchestrator)
    await round(proc.orchestrator)
    await round(proc.orchestrator)
    await round(a.orchestrator)
    // No new roster was handed over (it had not changed), yet A's space took B's entry, and A, which
    // kept the roster it had, materialises it.
    expect((await (await a.tenant.openDB('orders')).getDocument<Order>(order.getId()))?.getData().status).toBe('packed')
    await proc.orchestrator.stop()
    await proc.relay.close()
    for (const r of relays) await r.close()
    await Promise.all([source.close(), a.close(), b.close()])
    await own.close()
  })

  it("a read-only grant: the partner's process refuses to send changes back before anything leaves", async () => {
    const p = await pair({ permissions: ['read'] })
    const order = await p.orders.createDocument<Order>({ data: { item: 'x', status: 'new' } })
    await p.supplier.orchestrator.syncAll()
    await p.customer.orchestrator.syncAll()
    await p.customerOrders.changeDoc<Order>(order.getId(), (d) => void (d.getData().status = 'tampered'))
    // A relationship that tries to push anyway is refused by the customer's own authority.
    await p.customer.orchestrator.addRelationship(
      'push-anyway',
      p.customer.tenant,
      await p.customer.relay.peer(p.grantId),
      ['orders'],
      {
        grantId: p.grantId,
        direction: 'push',
      },
    )
    const r = await p.customer.orchestrator.syncAll()
    expect(r.failed.map((f) => [f.id, f.error.code])).toEqual([['push-anyway', ErrorCodes.PERMISSION_DENIED]])
    await p.supplier.orchestrator.syncAll()
    expect((await p.orders.getDocument<Order>(order.getId()))!.getData().status).toBe('new')
    await p.close()
  })

  it('before the issuer opened the space the partner waits (WEFT_PARTNER_UNAVAILABLE), and a squatted space is refused', async () => {
    const supplier = await side('supplier')
    const customer = await side('customer')
    await supplier.tenant.keyBag.generateKey('k')
    await (await supplier.tenant.openDB('orders', { keyId: 'k' })).createDocument({ data: { a: 1 } })
    const offer = await supplier.tenant.sharing.share({
      partner: customer.tenant.publicProfile(),
      databases: ['orders'],
    })
    await customer.tenant.sharing.accept(offer)
    await customer.orchestrator.addRelationship(
      'r',
      customer.tenant,
      await customer.relay.peer(offer.grant.id),
      ['orders'],
      {
        grantId: offer.grant.id,
        direction: 'pull',
      },
    )
    expect((await customer.orchestrator.syncAll()).failed.map((f) => f.error.code)).toEqual([
      ErrorCodes.PARTNER_UNAVAILABLE,
    ])

    // Someone else registers the space of a second grant first: the issuer refuses to use it.
    const second = await supplier.tenant.sharing.share({
      partner: customer.tenant.publicProfile(),
      databases: ['orders'],
    })
    await registerMembers({
      url: server.url,
      tenant: relaySpaceOf(second.grant.id),
      admin: generateSigningKeyPair(),
      seq: 1,
    })
    await supplier.orchestrator.addRelationship(
      'squatted',
      supplier.tenant,
      await supplier.relay.peer(second.grant.id),
      ['orders'],
      {
        grantId: second.grant.id,
        direction: 'push',
      },
    )
    expect((await supplier.orchestrator.syncAll()).failed.map((f) => f.error.code)).toEqual([ErrorCodes.FORBIDDEN])
    await Promise.all([supplier.close(), customer.close()])
  })

  it('a server that lost its storage: the issuer opens the space again at its next round', async () => {
    const own = await WeftServer.start()
    const port = own.port
    const { supplier, customer, orders, grantId, supplierRelay, customerRelay } = await pushPullOn(own.url)

    await own.close()
    const wiped = await WeftServer.start({ port })
    const later = await orders.createDocument({ data: { n: 2 } })
    const first = await supplier.orchestrator.syncAll()
    expect(first.failed.map((f) => f.error.code)).toEqual([ErrorCodes.UNAUTHORIZED])
    expect((await supplier.orchestrator.syncAll()).failed).toEqual([])
    expect((await customer.orchestrator.syncAll()).failed).toEqual([])
    expect((await (await customer.tenant.openDB('orders')).getDocument(later.getId()))?.getData()).toEqual({ n: 2 })
    // What the wiped server had before is back too: the space holds every entry the supplier has.
    const space = (await (await supplierRelay.peer(grantId)).openDB('orders')) as ChangeStore
    expect((await space.getAllChangeHashes()).sort()).toEqual((await orders.getStore().getAllChangeHashes()).sort())
    await supplierRelay.close()
    await customerRelay.close()
    await Promise.all([supplier.close(), customer.close()])
    await wiped.close()
  })

  it('a server restored from an older copy: the issuer pushes again what it lost, though nothing is new', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-relay-restore-'))
    const live = join(dir, 'live')
    const copy = join(dir, 'copy')
    let own = await WeftServer.start({ storeFactory: new LevelStoreFactory({ path: live }) })
    const port = own.port
    const restart = async (before?: () => Promise<void>) => {
      await own.close()
      await before?.()
      own = await WeftServer.start({ port, storeFactory: new LevelStoreFactory({ path: live }) })
    }
    const { supplier, customer, orders, supplierRelay, customerRelay } = await pushPullOn(own.url)
    try {
      await restart(() => cp(live, copy, { recursive: true })) // the backup: the space with one entry
      const later = await orders.createDocument({ data: { n: 2 } })
      expect((await supplier.orchestrator.syncAll()).sent).toBe(1)
      // The disk is lost before the customer pulled; the backup comes back.
      await restart(async () => {
        await rm(live, { recursive: true })
        await cp(copy, live, { recursive: true })
      })
      const customerDocs = await customer.tenant.openDB('orders')
      expect((await customer.orchestrator.syncAll()).failed).toEqual([])
      expect(await customerDocs.getDocument(later.getId())).toBeUndefined()
      // Nothing is new at the supplier, but its round sees the space went back, and sends again.
      const again = await supplier.orchestrator.syncAll()
      expect(again.failed).toEqual([])
      expect(again.sent).toBe(1)
      expect((await customer.orchestrator.syncAll()).received).toBe(1)
      expect((await customerDocs.getDocument(later.getId()))?.getData()).toEqual({ n: 2 })
      await supplierRelay.close()
      await customerRelay.close()
    } finally {
      await Promise.all([supplier.close(), customer.close()])
      await own.close()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('requiresApproval: the partner waits as WEFT_GRANT_NOT_APPROVED until the issuer approves, then gets data and keys', async () => {
    const supplier = await side('supplier')
    const customer = await side('customer')
    await supplier.tenant.keyBag.generateKey('k')
    const orders = await supplier.tenant.openDB('orders', { keyId: 'k' })
    const doc = await orders.createDocument({ data: { item: 'crate' } })
    const offer = await supplier.tenant.sharing.share({
      partner: customer.tenant.publicProfile(),
      databases: ['orders'],
      requiresApproval: true,
    })
    expect(offer.keys).toEqual([]) // keys travel only once approved
    await customer.tenant.sharing.accept(offer)
    const grantId = offer.grant.id
    await connectGrant(supplier, customer, grantId, ['orders'], 'one-way')
    expect((await supplier.orchestrator.syncAll()).failed.map((f) => f.error.code)).toEqual([
      ErrorCodes.GRANT_NOT_APPROVED,
    ])
    expect((await customer.orchestrator.syncAll()).failed.map((f) => f.error.code)).toEqual([
      ErrorCodes.GRANT_NOT_APPROVED,
    ])

    await supplier.tenant.sharing.approve(grantId)
    expect((await supplier.orchestrator.syncAll()).failed).toEqual([])
    expect((await customer.orchestrator.syncAll()).failed).toEqual([])
    expect((await (await customer.tenant.openDB('orders')).getDocument(doc.getId()))?.getData()).toEqual({
      item: 'crate',
    })
    expect((await customer.tenant.sharing.get(grantId))!.status).toBe('active')
    await Promise.all([supplier.close(), customer.close()])
  })

  it('a relay peer offers only the granted databases', async () => {
    const p = await pair()
    const peer = await p.customer.relay.peer(p.grantId)
    await expect(peer.openDB('payroll')).rejects.toMatchObject({ code: ErrorCodes.PERMISSION_DENIED })
    await expect(p.customer.relay.peer('0'.repeat(32))).rejects.toMatchObject({ code: ErrorCodes.GRANT_NOT_FOUND })
    await p.close()
  })
})

function spaceConnection(tenant: Tenant, grantId: string): ServerConnection {
  return new ServerConnection({ url: server.url, tenant: relaySpaceOf(grantId), key: tenant.serverSigner() })
}
