import { beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, MemoryStoreFactory, ready, TenantFactory, TEST_KDF, type Tenant } from '../src/index.ts'
import { packValue, unpackValue, type KeyValueStore } from '../src/backend.ts'
import { manualClock } from './helpers/sharing.ts'

beforeAll(ready)

async function setup() {
  const storeFactory = new MemoryStoreFactory()
  const factory = new TenantFactory({ storeFactory, kdf: TEST_KDF })
  const clock = manualClock(1_000)
  const tenant = await factory.createTenant({ tenantId: 'acme', password: 'pw' })
  tenant.setClock(clock)
  const kv = await storeFactory.openKeyValueStore('weft-audit')
  return { storeFactory, factory, clock, tenant, kv }
}

async function fill(tenant: Tenant, clock: ReturnType<typeof manualClock>): Promise<void> {
  await tenant.audit.record({ action: 'share', partner: 'globex', databases: ['orders'], grantId: 'g1' })
  clock.advance(1_000)
  await tenant.audit.record({ action: 'sync', partner: 'globex', databases: ['orders'], grantId: 'g1', sent: 5 })
  clock.advance(1_000)
  await tenant.audit.record({ action: 'share', partner: 'initech', databases: ['invoices'], grantId: 'g2' })
  clock.advance(1_000)
  await tenant.audit.record({
    action: 'denied',
    partner: 'initech',
    databases: ['invoices'],
    grantId: 'g2',
    code: ErrorCodes.GRANT_EXPIRED,
  })
  clock.advance(1_000)
  await tenant.audit.record({
    action: 'revoke',
    partner: 'globex',
    databases: ['orders'],
    grantId: 'g1',
    detail: 'rotated orders-key to v2',
  })
}

const recordKeys = (kv: KeyValueStore) => kv.keys('acme/r/')

describe('AuditLog', () => {
  it('chains, signs and numbers records, and queries them by time, partner, database and action', async () => {
    const { tenant, clock } = await setup()
    await fill(tenant, clock)
    const all = await tenant.audit.query()
    expect(all.map((r) => [r.seq, r.action, r.at])).toEqual([
      [0, 'share', 1_000],
      [1, 'sync', 2_000],
      [2, 'share', 3_000],
      [3, 'denied', 4_000],
      [4, 'revoke', 5_000],
    ])
    expect(all[0]!.prev).toBe('0'.repeat(64))
    for (let i = 1; i < all.length; i++) expect(all[i]!.prev).toBe(all[i - 1]!.hash)
    expect(all[1]).toMatchObject({ tenant: 'acme', partner: 'globex', sent: 5, received: 0, code: null })
    expect((await tenant.audit.query({ from: 2_000, to: 4_000 })).map((r) => r.seq)).toEqual([1, 2])
    expect((await tenant.audit.query({ partner: 'initech' })).map((r) => r.seq)).toEqual([2, 3])
    expect((await tenant.audit.query({ db: 'orders' })).map((r) => r.seq)).toEqual([0, 1, 4])
    expect((await tenant.audit.query({ action: 'share' })).map((r) => r.seq)).toEqual([0, 2])
    expect((await tenant.audit.query({ action: ['denied', 'revoke'] })).map((r) => r.code)).toEqual([
      ErrorCodes.GRANT_EXPIRED,
      null,
    ])
    expect((await tenant.audit.query({ grantId: 'g1', limit: 2 })).map((r) => r.seq)).toEqual([0, 1])
    expect(await tenant.audit.verify()).toEqual({ ok: true, records: 5, head: { seq: 4, hash: all[4]!.hash } })
    expect(await tenant.audit.head()).toEqual({ seq: 4, hash: all[4]!.hash })
  })

  it('survives a restart and continues the same chain', async () => {
    const { factory, tenant, clock } = await setup()
    await fill(tenant, clock)
    const anchor = await tenant.audit.head()
    const again = await factory.openTenant('acme', { password: 'pw' })
    expect((await again.audit.query()).length).toBe(5)
    await again.audit.record({ action: 'accept', partner: 'umbrella', databases: ['labs'], grantId: 'g3' })
    const v = await again.audit.verify({ expectedHead: anchor! })
    expect(v).toMatchObject({ ok: true, records: 6, head: { seq: 5 } })
  })

  it('detects an altered record', async () => {
    const { tenant, clock, kv } = await setup()
    await fill(tenant, clock)
    const key = (await recordKeys(kv))[1]!
    const value = unpackValue<Record<string, unknown>>((await kv.get(key))!, 1 << 20)
    await kv.put(key, packValue({ ...value, sent: 500 }))
    const v = await tenant.audit.verify()
    expect(v).toMatchObject({ ok: false, problem: 'altered', seq: 1, error: { code: ErrorCodes.AUDIT_TAMPERED } })
    await expect(tenant.audit.verifyOrThrow()).rejects.toMatchObject({ code: ErrorCodes.AUDIT_TAMPERED })
    expect((await tenant.audit.query()).map((r) => r.seq)).toEqual([0, 2, 3, 4]) // queries leave it out
  })

  it('detects a removed record, in the middle or at the end', async () => {
    const { tenant, clock, kv } = await setup()
    await fill(tenant, clock)
    const keys = await recordKeys(kv)
    const last = await kv.get(keys[4]!)
    await kv.delete(keys[4]!)
    expect(await tenant.audit.verify()).toMatchObject({ ok: false, problem: 'removed', seq: 4 })
    await kv.put(keys[4]!, last!)
    await kv.delete(keys[2]!)
    expect(await tenant.audit.verify()).toMatchObject({ ok: false, problem: 'removed', seq: 2 })
  })

  it('detects reordered records', async () => {
    const { tenant, clock, kv } = await setup()
    await fill(tenant, clock)
    const keys = await recordKeys(kv)
    const [a, b] = [await kv.get(keys[1]!), await kv.get(keys[2]!)]
    await kv.put(keys[1]!, b!)
    await kv.put(keys[2]!, a!)
    expect(await tenant.audit.verify()).toMatchObject({
      ok: false,
      problem: 'reordered',
      seq: 1,
      error: { code: ErrorCodes.AUDIT_TAMPERED },
    })
  })

  it('detects a trail rolled back to an older state, against a head kept elsewhere', async () => {
    const { tenant, clock, kv } = await setup()
    await tenant.audit.record({ action: 'share', partner: 'globex' })
    const oldHead = await kv.get('acme/head')
    await fill(tenant, clock)
    const anchor = await tenant.audit.head()
    for (const key of (await recordKeys(kv)).slice(1)) await kv.delete(key)
    await kv.put('acme/head', oldHead!) // a consistent, validly signed older trail
    expect((await tenant.audit.verify()).ok).toBe(true)
    expect(await tenant.audit.verify({ expectedHead: anchor! })).toMatchObject({ ok: false, problem: 'removed' })
  })

  it('keeps one trail per tenant: a record copied from another tenant does not verify', async () => {
    const { factory, tenant, clock, kv } = await setup()
    const other = await factory.createTenant({ tenantId: 'globex', password: 'pw' })
    await fill(tenant, clock)
    await other.audit.record({ action: 'accept', partner: 'acme' })
    expect((await other.audit.query()).map((r) => r.tenant)).toEqual(['globex'])
    await kv.put((await recordKeys(kv))[0]!, (await kv.get('globex/r/000000000000'))!)
    expect(await tenant.audit.verify()).toMatchObject({ ok: false, problem: 'altered', seq: 0 })
  })
})
