import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, generateSigningKeyPair, ready } from '@weft/core'
import { registerMembers, ServerConnection } from '@weft/client'
import { relaySpaceOf } from '../../packages/client/src/relay/relaySpaceOf.ts'
import { rawPost } from '../network/helpers/http.ts'
import { startChildServer, type ChildServer } from './helpers/childServer.ts'
import { relayGrant, relaySide, type RelaySide } from '../network/helpers/relaySide.ts'

// The mailbox and registrations count against the tenant's quota, the mailbox can be cleared, and
// a grant relayed through a server whose mailboxes are tiny rotates its keys 1,500 times without
// ever filling the relay space's mailbox: each key delivery supersedes the one before, and the
// partner acknowledges what it imported.

const QUOTAS = { maxMembersPerTenant: 5, maxMailMessagesPerTenant: 4, maxMailBytesPerTenant: 96 * 1024 }

let server: ChildServer
beforeAll(async () => {
  await ready()
  server = await startChildServer({ limits: { requestsPerSecond: 100_000, burst: 100_000 }, quotas: QUOTAS }, 256)
})
afterAll(() => server?.kill())

let n = 0
async function tenantWith(members: number) {
  const tenant = `quota-${process.pid}-${++n}`
  const admin = generateSigningKeyPair()
  const keys = Array.from({ length: members }, () => generateSigningKeyPair())
  await registerMembers({ url: server.url, tenant, admin, seq: 1, add: keys.map((k) => k.publicKey) })
  const connect = (key = admin) => new ServerConnection({ url: server.url, tenant, key })
  return { tenant, admin, keys, connect }
}

describe("registrations and the mailbox inside the tenant's quota", () => {
  it('usage reports registered keys and their bytes, and a registration past maxMembers is refused whole', async () => {
    const t = await tenantWith(3)
    const usage = await t.connect().usage()
    expect(usage).toMatchObject({
      members: 4,
      mailMessages: 0,
      mailBytes: 0,
      limits: { maxMembers: 5, maxMailMessages: 4, maxMailBytes: 96 * 1024 },
    })
    expect(usage.registrationBytes).toBeGreaterThan(4 * 32)
    const more = [generateSigningKeyPair(), generateSigningKeyPair()].map((k) => k.publicKey)
    await expect(
      registerMembers({ url: server.url, tenant: t.tenant, admin: t.admin, seq: 2, add: more }),
    ).rejects.toMatchObject({ code: ErrorCodes.QUOTA_EXCEEDED })
    expect((await t.connect().usage()).members).toBe(4)
    await registerMembers({ url: server.url, tenant: t.tenant, admin: t.admin, seq: 2, add: more.slice(1) })
    expect((await t.connect().usage()).members).toBe(5)
  })

  it('counts mailbox messages and bytes, refuses past either limit, and frees what is deleted', async () => {
    const t = await tenantWith(1)
    const mail = t.connect(t.keys[0])
    for (let i = 0; i < 3; i++) await mail.mail('put', { body: new Uint8Array(30 * 1024) })
    expect(await mail.usage()).toMatchObject({ mailMessages: 3, mailBytes: 90 * 1024 })
    await expect(mail.mail('put', { body: new Uint8Array(7 * 1024) })).rejects.toMatchObject({
      code: ErrorCodes.QUOTA_EXCEEDED,
    })
    await mail.mail('put', { body: new Uint8Array(6 * 1024) })
    await expect(mail.mail('put', { body: new Uint8Array(1) })).rejects.toMatchObject({
      code: ErrorCodes.QUOTA_EXCEEDED,
    })
    expect(await mail.mail('delete', { seqs: [1, 2] })).toEqual({ deleted: 2 })
    expect(await mail.usage()).toMatchObject({ mailMessages: 2, mailBytes: 36 * 1024 })
    expect((await mail.mail('put', { body: new Uint8Array(1) })).seq).toBe(5)
  })

  it("refuses to delete another member's messages, and another tenant's members reach none of them", async () => {
    const t = await tenantWith(2)
    const [poster, other] = [t.connect(t.keys[0]), t.connect(t.keys[1])]
    const own = await poster.mail('put', { body: new Uint8Array([1]) })
    const toOther = await poster.mail('put', { body: new Uint8Array([2]), to: t.keys[1]!.publicKey })
    await expect(other.mail('delete', { seqs: [own.seq] })).rejects.toMatchObject({ code: ErrorCodes.FORBIDDEN })
    await expect(other.mail('delete', { seqs: [toOther.seq, own.seq] })).rejects.toMatchObject({
      code: ErrorCodes.FORBIDDEN,
    })
    expect((await poster.mail('list', { after: 0 })).messages).toHaveLength(2)

    const stranger = await tenantWith(1)
    const strangerMail = stranger.connect(stranger.keys[0])
    expect(await strangerMail.mail('delete', { seqs: [own.seq, toOther.seq] })).toEqual({ deleted: 0 })
    const res = await rawPost(
      `${server.url}/v1/t/${t.tenant}/mail/delete`,
      { seqs: [own.seq] },
      { authorization: `Bearer ${await strangerMail.token()}` },
    )
    expect(res.error?.code).toBe(ErrorCodes.FORBIDDEN)
    expect((await poster.mail('list', { after: 0 })).messages).toHaveLength(2)

    expect(await other.mail('delete', { seqs: [toOther.seq] })).toEqual({ deleted: 1 })
    expect(await poster.mail('delete', { seqs: [own.seq] })).toEqual({ deleted: 1 })
    expect((await poster.usage()).mailMessages).toBe(0)
  })
})

const side = (name: string): Promise<RelaySide> => relaySide(server.url, name)

describe('a long-lived grant through a relay', () => {
  it('rotates its keys 1,500 times with a four-message mailbox: every round succeeds and the mailbox holds only the newest keys', async () => {
    const supplier = await side('supplier')
    const customer = await side('customer')
    await supplier.tenant.keyBag.generateKey('orders-key')
    const orders = await supplier.tenant.openDB('orders', { keyId: 'orders-key' })
    const grantId = await relayGrant(supplier, customer, { databases: ['orders'], keys: ['orders-key'] }, 'one-way')
    expect((await supplier.orchestrator.syncAll()).failed).toEqual([])
    expect((await customer.orchestrator.syncAll()).failed).toEqual([])
    const space = new ServerConnection({
      url: server.url,
      tenant: relaySpaceOf(grantId),
      key: supplier.tenant.serverSigner(),
    })

    const customerOrders = await customer.tenant.openDB('orders')
    for (let i = 1; i <= 1_500; i++) {
      await supplier.tenant.keyBag.rotateKey('orders-key')
      const last = i % 250 === 0
      // Now and then a document under the newest key, so the partner's next round is not idle.
      const doc = last ? await orders.createDocument({ data: { item: `after ${i} rotations` } }) : undefined
      expect((await supplier.orchestrator.syncAll()).failed).toEqual([])
      if (!doc) continue
      // The partner lagged 250 rotations: the space holds one message, the newest keys.
      expect((await space.usage()).mailMessages).toBe(1)
      const round = await customer.orchestrator.syncAll()
      expect(round.failed).toEqual([])
      expect(round.received).toBe(1)
      expect(customer.tenant.keyBag.current('orders-key').version).toBe(i + 1)
      expect((await customerOrders.getDocument<{ item: string }>(doc.getId()))!.getData().item).toBe(
        `after ${i} rotations`,
      )
      // What it imported it acknowledged: the mailbox is empty.
      expect((await space.usage()).mailMessages).toBe(0)
    }
    await Promise.all([supplier.close(), customer.close()])
  }, 300_000)

  it('a write grant whose roster changes again and again while its partner is away holds only the newest roster and keys', async () => {
    const supplier = await side('supplier')
    const customer = await side('customer')
    const third = await side('third')
    await supplier.tenant.keyBag.generateKey('orders-key')
    const orders = await supplier.tenant.openDB('orders', { keyId: 'orders-key' })
    const grantId = await relayGrant(
      supplier,
      customer,
      { databases: ['orders'], keys: ['orders-key'], permissions: ['read', 'write'] },
      'both',
    )
    expect((await supplier.orchestrator.syncAll()).failed).toEqual([])
    expect((await customer.orchestrator.syncAll()).failed).toEqual([])
    const space = new ServerConnection({
      url: server.url,
      tenant: relaySpaceOf(grantId),
      key: supplier.tenant.serverSigner(),
    })
    // Co-writers come and go: each write grant issued or revoked changes the customer's roster,
    // and each revocation rotates the key.
    for (let i = 0; i < 12; i++) {
      const other = await supplier.tenant.sharing.share({
        partner: third.tenant.publicProfile(),
        databases: ['orders'],
        keys: ['orders-key'],
        permissions: ['read', 'write'],
      })
      expect((await supplier.orchestrator.syncAll()).failed).toEqual([])
      await supplier.tenant.sharing.revoke(other.grant.id)
      expect((await supplier.orchestrator.syncAll()).failed).toEqual([])
      expect((await space.usage()).mailMessages).toBeLessThanOrEqual(2)
    }
    const doc = await orders.createDocument({ data: { item: 'after the churn' } })
    expect((await supplier.orchestrator.syncAll()).failed).toEqual([])
    expect((await customer.orchestrator.syncAll()).failed).toEqual([])
    expect(
      (await (await customer.tenant.openDB('orders')).getDocument<{ item: string }>(doc.getId()))?.getData().item,
    ).toBe('after the churn')
    expect((await space.usage()).mailMessages).toBe(0)
    await Promise.all([supplier.close(), customer.close(), third.close()])
  })

  it('a grant of two keys: a delivery after one rotates holds both, so superseding the delivery before it loses neither', async () => {
    const supplier = await side('supplier')
    const customer = await side('customer')
    await supplier.tenant.keyBag.generateKey('a-key')
    await supplier.tenant.keyBag.generateKey('b-key')
    const orders = await supplier.tenant.openDB('orders', { keyId: 'a-key' })
    const grantId = await relayGrant(supplier, customer, { databases: ['orders'], keys: ['a-key', 'b-key'] }, 'one-way')
    expect((await supplier.orchestrator.syncAll()).failed).toEqual([])
    expect((await customer.orchestrator.syncAll()).failed).toEqual([])
    // a-key rotates and is delivered; then b-key rotates and its delivery supersedes a-key's.
    await supplier.tenant.keyBag.rotateKey('a-key')
    const underA = await orders.createDocument({ data: { item: 'under a v2' } })
    expect((await supplier.orchestrator.syncAll()).failed).toEqual([])
    await supplier.tenant.keyBag.rotateKey('b-key')
    const underB = await orders.createDocument({ keyId: 'b-key', data: { item: 'under b v2' } })
    expect((await supplier.orchestrator.syncAll()).failed).toEqual([])
    const space = new ServerConnection({
      url: server.url,
      tenant: relaySpaceOf(grantId),
      key: supplier.tenant.serverSigner(),
    })
    expect((await space.usage()).mailMessages).toBe(1)
    expect((await customer.orchestrator.syncAll()).failed).toEqual([])
    const customerOrders = await customer.tenant.openDB('orders')
    expect((await customerOrders.getDocument<{ item: string }>(underA.getId()))?.getData().item).toBe('under a v2')
    expect((await customerOrders.getDocument<{ item: string }>(underB.getId()))?.getData().item).toBe('under b v2')
    await Promise.all([supplier.close(), customer.close()])
  })
})
