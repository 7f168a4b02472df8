import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  ErrorCodes,
  MemoryStoreFactory,
  ready,
  syncStores,
  TenantFactory,
  TEST_KDF,
  type ChangeHash,
  type Database,
  type DocId,
  type StoreFactory,
  type Tenant,
} from '../src/index.ts'
import { MemoryChangeStore, type KeyValueStore } from '../src/backend.ts'
import { hashesOf, manualClock, type ManualClock } from './helpers/sharing.ts'

beforeAll(ready)

const HOUR = 3_600_000
const PASSWORDS: Record<string, string> = { acme: 'pw-acme', globex: 'pw-globex' }

/**
 * Storage whose writes to one key-value store can be made to fail (a crash in the middle of a
 * revocation) or slow (so other work interleaves with it).
 */
class FlakyStorage implements StoreFactory {
  /** Writes to the key-value store of this name fail. */
  failWrites: string | null = null
  /** Writes to the key-value store of this name take `ms`. */
  slowWrites: { name: string; ms: number } | null = null
  readonly #inner: StoreFactory

  constructor(inner: StoreFactory) {
    this.#inner = inner
  }

  openChangeStore(name: string) {
    return this.#inner.openChangeStore(name)
  }

  async openKeyValueStore(name: string): Promise<KeyValueStore> {
    const kv = await this.#inner.openKeyValueStore(name)
    return {
      get: (k) => kv.get(k),
      delete: (k) => kv.delete(k),
      keys: (p) => kv.keys(p),
      close: () => kv.close(),
      put: async (k, v) => {
        if (this.failWrites === name) throw new Error('disk gone')
        if (this.slowWrites?.name === name) await sleep(this.slowWrites.ms)
        return kv.put(k, v)
      },
    }
  }

  close() {
    return this.#inner.close()
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface World {
  readonly storage: FlakyStorage
  readonly clock: ManualClock
  /** The source: shares `orders` (under `orders-key`) with read + write. */
  readonly acme: Tenant
  /** The write partner. */
  readonly globex: Tenant
  readonly acmeOrders: Database
  readonly globexOrders: Database
  /** Opens `id` again from the same storage, as a restarted process would. */
  reopen(id: string): Promise<Tenant>
}

async function world(): Promise<World> {
  const storage = new FlakyStorage(new MemoryStoreFactory())
  const clock = manualClock()
  const factory = new TenantFactory({ storeFactory: storage, kdf: TEST_KDF, clock })
  const acme = await factory.createTenant({ tenantId: 'acme', password: PASSWORDS.acme! })
  const globex = await factory.createTenant({ tenantId: 'globex', password: PASSWORDS.globex! })
  await acme.keyBag.generateKey('orders-key')
  const acmeOrders = await acme.openDB('orders', { keyId: 'orders-key' })
  const globexOrders = await globex.openDB('orders')
  const reopen = async (id: string): Promise<Tenant> => {
    const restarted = new TenantFactory({ storeFactory: storage, kdf: TEST_KDF, clock })
    return restarted.openTenant(id, { password: PASSWORDS[id]! })
  }
  return { storage, clock, acme, globex, acmeOrders, globexOrders, reopen }
}

/** Issues and accepts a grant from `from` to `to`. */
async function grant(
  from: Tenant,
  to: Tenant,
  databases: string[],
  options: { permissions?: ('read' | 'write')[]; expiresAt?: number } = {},
): Promise<string> {
  const offer = await from.sharing.share({
    partner: to.publicProfile(),
    databases,
    keys: ['orders-key'],
    permissions: options.permissions ?? ['read', 'write'],
    expiresAt: options.expiresAt ?? null,
  })
  await to.sharing.accept(offer)
  return offer.grant.id
}

/** The partner edits a document; returns the entries it wrote. */
async function edit(db: Database, id: DocId, fields: Record<string, string | number>): Promise<ChangeHash[]> {
  const before = new Set(await hashesOf(db))
  await db.changeDoc(id, (d) => void Object.assign(d.getData(), fields))
  return (await hashesOf(db)).filter((h) => !before.has(h)) as ChangeHash[]
}

async function dataOf(db: Database, id: DocId): Promise<unknown> {
  return (await db.getDocument(id))?.toJSON()
}

/** A shared order, delivered to the partner, edited there and pulled back by the source. */
async function editedOrder(w: World): Promise<{ id: DocId; early: ChangeHash[] }> {
  const order = await w.acmeOrders.createDocument({ data: { status: 'new' } })
  await w.globexOrders.pullChangesFrom(w.acmeOrders)
  const early = await edit(w.globexOrders, order.getId(), { status: 'accepted' })
  const pulled = await w.acmeOrders.pullChangesFrom(w.globexOrders)
  expect(pulled.materialised.applied).toEqual(early)
  expect(await dataOf(w.acmeOrders, order.getId())).toEqual({ status: 'accepted' })
  return { id: order.getId(), early }
}

const untrusted = (hashes: readonly ChangeHash[], docId: DocId) =>
  hashes.map((hash) => ({ hash, docId, code: ErrorCodes.UNTRUSTED_SIGNER }))

describe('write trust after a write grant ends', () => {
  it('holds what the partner signs after a revocation, whatever path brings it; what came before stays', async () => {
    const w = await world()
    const initech = await new TenantFactory({ kdf: TEST_KDF }).createTenant({ tenantId: 'initech', password: 'pw' })
    const grantId = await grant(w.acme, w.globex, ['orders'])
    await grant(w.acme, initech, ['orders']) // a second write partner, still live
    const { id, early } = await editedOrder(w)

    await w.acme.sharing.revoke(grantId)
    const late = await edit(w.globexOrders, id, { note: 'after revocation' })
    const direct = await w.acmeOrders.pullChangesFrom(w.globexOrders)
    expect(direct.transferred).toBe(1)
    expect(direct.materialised.applied).toEqual([])
    expect(direct.materialised.untrusted).toEqual(untrusted(late, id))
    expect(await dataOf(w.acmeOrders, id)).toEqual({ status: 'accepted' })
    expect((await w.acmeOrders.syncStoreChanges([...early, ...late])).untrusted).toEqual(untrusted(late, id))

    // Relayed by the other partner, in one batch with that partner's own (trusted) edit.
    const initechOrders = await initech.openDB('orders')
    await initechOrders.pullChangesFrom(w.acmeOrders)
    await initechOrders.pullChangesFrom(w.globexOrders)
    const later = await edit(w.globexOrders, id, { note: 'relayed' })
    await initechOrders.pullChangesFrom(w.globexOrders)
    await initechOrders.changeDoc(id, (d) => void (d.getData().checkedBy = 'initech'))
    const relayed = await w.acmeOrders.pullChangesFrom(initechOrders)
    expect(relayed.materialised.applied).toHaveLength(1)
    expect(relayed.materialised.untrusted).toEqual(untrusted(later, id))
    expect(relayed.materialised.rejected).toEqual([])
    expect(await dataOf(w.acmeOrders, id)).toEqual({ status: 'accepted', checkedBy: 'initech' })

    // Through a relay store, copied store to store (the database materialises what its store gains).
    const relay = new MemoryChangeStore()
    const fresh = await w.globexOrders.createDocument({ data: { spam: true } }) // a new document of the partner's own
    await syncStores(w.globexOrders.getStore(), relay)
    await syncStores(relay, w.acmeOrders.getStore())
    const freshEntries = (await w.globexOrders.getStore().getAllChangeHashesForDoc(fresh.getId())) as ChangeHash[]
    // A write grant never took in the partner's own documents: refused by origin, before any signer check.
    const notLinked = freshEntries.map((hash) => ({ hash, docId: fresh.getId(), code: ErrorCodes.ORIGIN_NOT_LINKED }))
    expect((await w.acmeOrders.syncStoreChanges(freshEntries)).untrusted).toEqual(notLinked)
    expect(await w.acmeOrders.getDocumentStatus(fresh.getId())).toBe('untrusted')

    // The old entries, delivered again, are still accepted; a trust change retries nothing into view.
    expect((await w.acmeOrders.syncStoreChanges(early)).applied).toEqual(early)
    await w.acmeOrders.retryHeld()
    expect(await dataOf(w.acmeOrders, id)).toEqual({ status: 'accepted', checkedBy: 'initech' })
    // The source keeps writing the document.
    await w.acmeOrders.changeDoc(id, (d) => void (d.getData().status = 'shipped'))
    expect(await dataOf(w.acmeOrders, id)).toEqual({ status: 'shipped', checkedBy: 'initech' })
  })

  it('still holds after the source is closed and reopened, including entries that reached its store while it was closed', async () => {
    const w = await world()
    const grantId = await grant(w.acme, w.globex, ['orders'])
    const { id, early } = await editedOrder(w)
    await w.acme.sharing.revoke(grantId)
    const late = await edit(w.globexOrders, id, { note: 'after revocation' })
    await w.acmeOrders.pullChangesFrom(w.globexOrders)
    await w.acme.close()

    // While it is closed, more arrives in its store by a store sync.
    const whileClosed = await edit(w.globexOrders, id, { note: 'while closed' })
    const store = await w.storage.openChangeStore('acme/orders')
    await store.appendMany(await w.globexOrders.getStore().getChanges(whileClosed))

    const acme = await w.reopen('acme')
    const orders = await acme.openDB('orders')
    expect(await dataOf(orders, id)).toEqual({ status: 'accepted' })
    const report = await orders.syncStoreChanges([...early, ...late, ...whileClosed])
    expect(report.applied).toEqual(expect.arrayContaining([...early]))
    expect(report.untrusted).toEqual(untrusted([...late, ...whileClosed], id))
    // Loading the grant records (which also finishes any pending rotation) changes nothing.
    expect((await acme.sharing.get(grantId))?.status).toBe('revoked')
    await orders.retryHeld()
    expect(await dataOf(orders, id)).toEqual({ status: 'accepted' })
  })

  it("cuts off at expiry, found by the source's clock", async () => {
    const w = await world()
    const grantId = await grant(w.acme, w.globex, ['orders'], { expiresAt: w.clock() + HOUR })
    const { id } = await editedOrder(w)
    const beforeExpiry = await edit(w.globexOrders, id, { n: 1 })
    expect((await w.acmeOrders.pullChangesFrom(w.globexOrders)).materialised.applied).toEqual(beforeExpiry)
    w.clock.advance(HOUR)
    expect((await w.acme.sharing.expireDue()).map((g) => [g.id, g.status])).toEqual([[grantId, 'expired']])
    const late = await edit(w.globexOrders, id, { n: 2 })
    expect((await w.acmeOrders.pullChangesFrom(w.globexOrders)).materialised.untrusted).toEqual(untrusted(late, id))
    expect(await dataOf(w.acmeOrders, id)).toEqual({ status: 'accepted', n: 1 })
    // Revoking the expired grant later changes nothing.
    await w.acme.sharing.revoke(grantId)
    expect(await dataOf(w.acmeOrders, id)).toEqual({ status: 'accepted', n: 1 })
    const orders = await (await w.reopen('acme')).openDB('orders')
    expect(await dataOf(orders, id)).toEqual({ status: 'accepted', n: 1 })
  })

  it('keeps trust while another live write grant to the partner covers the database; a new write grant restores it', async () => {
    const w = await world()
    const invoicesA = await w.acme.openDB('invoices', { keyId: 'orders-key' })
    const invoicesG = await w.globex.openDB('invoices')
    const both = await grant(w.acme, w.globex, ['orders', 'invoices'])
    const ordersOnly = await grant(w.acme, w.globex, ['orders'])
    const readOnly = await grant(w.acme, w.globex, ['invoices'], { permissions: ['read'] })
    const { id } = await editedOrder(w)
    const invoice = await invoicesA.createDocument({ data: { total: 10 } })
    await invoicesG.pullChangesFrom(invoicesA)

    await w.acme.sharing.revoke(both)
    await w.acme.sharing.revoke(readOnly) // a read grant never trusted the partner's signatures: nothing to cut
    const stillTrusted = await edit(w.globexOrders, id, { step: 1 })
    expect((await w.acmeOrders.pullChangesFrom(w.globexOrders)).materialised.applied).toEqual(stillTrusted)
    const cutInvoice = await edit(invoicesG, invoice.getId(), { total: 99 })
    expect((await invoicesA.pullChangesFrom(invoicesG)).materialised.untrusted).toEqual(
      untrusted(cutInvoice, invoice.getId()),
    )

    await w.acme.sharing.revoke(ordersOnly)
    const late = await edit(w.globexOrders, id, { step: 2 })
    expect((await w.acmeOrders.pullChangesFrom(w.globexOrders)).materialised.untrusted).toEqual(untrusted(late, id))
    expect(await dataOf(w.acmeOrders, id)).toEqual({ status: 'accepted', step: 1 })

    // A new write grant on `orders`: held entries come in, trust is full there again (not on invoices).
    const renewed = await grant(w.acme, w.globex, ['orders'])
    expect(await dataOf(w.acmeOrders, id)).toEqual({ status: 'accepted', step: 2 })
    const again = await edit(w.globexOrders, id, { step: 3 })
    expect((await w.acmeOrders.pullChangesFrom(w.globexOrders)).materialised.applied).toEqual(again)
    expect(await invoicesA.getDocumentStatus(invoice.getId())).toBe('ready')
    expect(await dataOf(invoicesA, invoice.getId())).toEqual({ total: 10 })

    // It ends too: cut off at its own end, everything delivered up to then kept, also after reopening.
    await w.acme.sharing.revoke(renewed)
    const last = await edit(w.globexOrders, id, { step: 4 })
    expect((await w.acmeOrders.pullChangesFrom(w.globexOrders)).materialised.untrusted).toEqual(untrusted(last, id))
    const acme = await w.reopen('acme')
    expect(await dataOf(await acme.openDB('orders'), id)).toEqual({ status: 'accepted', step: 3 })
    expect(await dataOf(await acme.openDB('invoices'), invoice.getId())).toEqual({ total: 10 })
  })

  it("keeps trusting the partner's own documents that it shares with the source", async () => {
    const w = await world()
    const grantId = await grant(w.acme, w.globex, ['orders'])
    await w.globex.keyBag.generateKey('catalog-key')
    const catalogG = await w.globex.openDB('catalog', { keyId: 'catalog-key' })
    const item = await catalogG.createDocument({ data: { sku: 'x1' } })
    const offer = await w.globex.sharing.share({ partner: w.acme.publicProfile(), databases: ['catalog'] })
    await w.acme.sharing.accept(offer, { databases: { catalog: 'orders' } })
    const { id } = await editedOrder(w)

    await w.acme.sharing.revoke(grantId)
    await catalogG.changeDoc(item, (d) => void (d.getData().price = 5))
    const late = await edit(w.globexOrders, id, { note: 'after revocation' })
    await w.acmeOrders.pullChangesFrom(catalogG)
    const pulled = await w.acmeOrders.pullChangesFrom(w.globexOrders)
    expect(pulled.materialised.untrusted).toEqual(untrusted(late, id))
    expect(await dataOf(w.acmeOrders, item.getId())).toEqual({ sku: 'x1', price: 5 })
    expect(await dataOf(w.acmeOrders, id)).toEqual({ status: 'accepted' })
  })

  it('never leaves the partner trusted when a revocation is interrupted, and records a missing cut-off on load', async () => {
    const w = await world()
    const grantId = await grant(w.acme, w.globex, ['orders'])
    const { id } = await editedOrder(w)

    // The cut-off cannot be recorded: the grant's end is not saved either; the grant stays live.
    w.storage.failWrites = 'weft-trust-cutoffs'
    await expect(w.acme.sharing.revoke(grantId)).rejects.toThrow('disk gone')
    expect((await w.acme.sharing.get(grantId))?.status).toBe('active')
    expect((await (await w.reopen('acme')).sharing.get(grantId))?.status).toBe('active')
    // The cut-off is recorded but the grant's end cannot be saved: the grant stays live, trust stays full.
    w.storage.failWrites = 'weft-grants'
    await expect(w.acme.sharing.revoke(grantId)).rejects.toThrow('disk gone')
    w.storage.failWrites = null
    expect((await w.acme.sharing.get(grantId))?.status).toBe('active')
    const stillLive = await edit(w.globexOrders, id, { n: 1 })
    expect((await w.acmeOrders.pullChangesFrom(w.globexOrders)).materialised.applied).toEqual(stillLive)
    const restarted = await w.reopen('acme')
    expect((await restarted.sharing.get(grantId))?.status).toBe('active')
    expect(await dataOf(await restarted.openDB('orders'), id)).toEqual({ status: 'accepted', n: 1 })

    await w.acme.sharing.revoke(grantId)
    const late = await edit(w.globexOrders, id, { n: 2 })
    expect((await w.acmeOrders.pullChangesFrom(w.globexOrders)).materialised.untrusted).toEqual(untrusted(late, id))

    // Cut-offs lost (or never written, by an older version): the next load records them again.
    const kv = await w.storage.openKeyValueStore('weft-trust-cutoffs')
    const keys = await kv.keys('acme/')
    expect(keys).toContain('acme/globex/orders')
    for (const k of keys) await kv.delete(k)
    const acme = await w.reopen('acme')
    const orders = await acme.openDB('orders')
    expect(await kv.keys('acme/')).toContain('acme/globex/orders')
    // Recorded at that load, it keeps what the store held then.
    expect(await dataOf(orders, id)).toEqual({ status: 'accepted', n: 2 })
    const after = await edit(w.globexOrders, id, { n: 3 })
    expect((await orders.pullChangesFrom(w.globexOrders)).materialised.untrusted).toEqual(untrusted(after, id))
  })
})

describe('write trust cut-off under concurrency', () => {
  it("shows the same documents before and after a restart when the partner's entries arrive while a revocation runs", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 12 }),
        fc.array(fc.nat(12), { minLength: 1, maxLength: 4 }),
        async (recordMs, delays) => {
          const w = await world()
          const grantId = await grant(w.acme, w.globex, ['orders'])
          const { id } = await editedOrder(w)
          const relays: MemoryChangeStore[] = []
          for (const [i] of delays.entries()) {
            await edit(w.globexOrders, id, { [`e${i}`]: 1 })
            relays.push(new MemoryChangeStore())
            await syncStores(w.globexOrders.getStore(), relays[i]!)
          }
          w.storage.slowWrites = { name: 'weft-trust-cutoffs', ms: recordMs }
          const arrivals = delays.map(async (ms, i) => {
            await sleep(ms)
            await w.acmeOrders.pullChangesFrom(relays[i]!)
          })
          await Promise.all([w.acme.sharing.revoke(grantId), ...arrivals])
          w.storage.slowWrites = null
          await w.acmeOrders.retryHeld()
          const live = await dataOf(w.acmeOrders, id)
          const restarted = await (await w.reopen('acme')).openDB('orders')
          expect(await dataOf(restarted, id)).toEqual(live)
        },
      ),
      { numRuns: Number(process.env.WEFT_PROPERTY_RUNS ?? 20) },
    )
  })
})

type Step = { kind: 'edit' } | { kind: 'pull' } | { kind: 'sourceEdit' }
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Step>({ kind: 'edit' }) },
  { weight: 2, arbitrary: fc.constant<Step>({ kind: 'pull' }) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'sourceEdit' }) },
)

describe('write trust cut-off property', () => {
  it('materialises exactly the partner edits the source held when it revoked, never a later one, before and after a restart', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 24 }), fc.nat(24), async (steps, revokeAt) => {
        const w = await world()
        const grantId = await grant(w.acme, w.globex, ['orders'])
        const order = await w.acmeOrders.createDocument({ data: { source: 0 } })
        await w.globexOrders.pullChangesFrom(w.acmeOrders)
        const id = order.getId()
        const written: string[] = [] // partner edits, in order
        let pulledUpTo = 0 // partner edits the source's store holds
        let keptUpTo = -1 // partner edits the source held at the revocation
        let sourceEdits = 0
        for (let i = 0; i <= steps.length; i++) {
          if (i === Math.min(revokeAt, steps.length)) {
            await w.acme.sharing.revoke(grantId)
            keptUpTo = pulledUpTo
          }
          const s = steps[i]
          if (!s) break
          if (s.kind === 'edit') {
            written.push(`e${written.length}`)
            await edit(w.globexOrders, id, { [written.at(-1)!]: 1 })
          } else if (s.kind === 'pull') {
            await w.acmeOrders.pullChangesFrom(w.globexOrders)
            pulledUpTo = written.length
          } else {
            await w.acmeOrders.changeDoc(id, (d) => void (d.getData().source = ++sourceEdits))
            await w.globexOrders.pullChangesFrom(w.acmeOrders)
          }
        }
        // Everything the partner ever wrote reaches the source's store in the end.
        await w.acmeOrders.pullChangesFrom(w.globexOrders)
        const expected = { source: sourceEdits, ...Object.fromEntries(written.slice(0, keptUpTo).map((k) => [k, 1])) }
        expect(await dataOf(w.acmeOrders, id)).toEqual(expected)
        const reopened = await (await w.reopen('acme')).openDB('orders')
        expect(await dataOf(reopened, id)).toEqual(expected)
      }),
      { numRuns: Number(process.env.WEFT_PROPERTY_RUNS ?? 25) },
    )
  })
})
