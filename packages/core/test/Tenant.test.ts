import { beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, isWeftError, ready, scopeToTenantId, TenantFactory, TEST_KDF } from '../src/index.ts'

beforeAll(ready)
const code = (c: string) => (e: unknown) => isWeftError(e, c as never)

describe('TenantFactory and Tenant', () => {
  it('refuses a second tenant with the same id, an unknown id and a wrong password', async () => {
    const f = new TenantFactory({ kdf: TEST_KDF })
    await f.createTenant({ tenantId: 'acme', password: 'pw' })
    await expect(f.createTenant({ tenantId: 'acme', password: 'x' })).rejects.toSatisfy(code(ErrorCodes.TENANT_EXISTS))
    await expect(f.openTenant('nobody', { password: 'pw' })).rejects.toSatisfy(code(ErrorCodes.TENANT_NOT_FOUND))
    await expect(f.openTenant('acme', { password: 'wrong' })).rejects.toSatisfy(code(ErrorCodes.WRONG_PASSWORD))
    await expect(f.createTenant({ tenantId: 'a/b', password: 'pw' })).rejects.toSatisfy(
      code(ErrorCodes.INVALID_ARGUMENT),
    )
    await expect(f.createTenant({ tenantId: 'b', password: '' })).rejects.toSatisfy(code(ErrorCodes.INVALID_ARGUMENT))
  })

  it('reopens with the same identity, keys and partners', async () => {
    const f = new TenantFactory({ kdf: TEST_KDF })
    const a = await f.createTenant({ tenantId: 'acme', password: 'pw' })
    const b = await f.createTenant({ tenantId: 'globex', password: 'pw2' })
    await a.keyBag.generateKey('collab')
    await a.keyBag.rotateKey('collab')
    await a.addPartner(b.publicProfile(), { dbs: ['orders', { local: 'inbox', remote: 'outbox' }] })
    const again = await f.openTenant('acme', { password: 'pw' })
    expect(again.signingKey).toEqual(a.signingKey)
    expect(again.keyBag.versions('collab')).toEqual(a.keyBag.versions('collab'))
    expect(again.keyBag.current('default').key).toEqual(a.keyBag.current('default').key)
    expect(again.partners().map((p) => [p.profile.tenantId, p.links])).toEqual([
      [
        'globex',
        [
          { local: 'orders', remote: 'orders' },
          { local: 'inbox', remote: 'outbox' },
        ],
      ],
    ])
  })

  it('rejects a tampered public profile', async () => {
    const f = new TenantFactory({ kdf: TEST_KDF })
    const a = await f.createTenant({ tenantId: 'acme', password: 'pw' })
    const b = await f.createTenant({ tenantId: 'globex', password: 'pw' })
    const forged = { ...b.publicProfile(), tenantId: 'initech' }
    await expect(a.addPartner(forged, { dbs: ['x'] })).rejects.toSatisfy(code(ErrorCodes.BAD_PROFILE))
    await expect(a.addPartner(a.publicProfile(), { dbs: ['x'] })).rejects.toSatisfy(code(ErrorCodes.INVALID_ARGUMENT))
  })

  it('accepts a sealed key only from a partner, and only if sealed to it', async () => {
    const f = new TenantFactory({ kdf: TEST_KDF })
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((id) => f.createTenant({ tenantId: id, password: 'pw' })))
    await a!.keyBag.generateKey('k')
    const toB = a!.shareKey('k', b!.publicProfile())
    await expect(b!.acceptSharedKey(toB)).rejects.toSatisfy(code(ErrorCodes.UNTRUSTED_SIGNER))
    await b!.addPartner(a!.publicProfile(), { dbs: [] })
    expect(await b!.acceptSharedKey(toB)).toBe('k')
    expect(b!.keyBag.get('k', 1)).toEqual(a!.keyBag.get('k', 1))
    await c!.addPartner(a!.publicProfile(), { dbs: [] })
    await expect(c!.acceptSharedKey(toB)).rejects.toSatisfy(code(ErrorCodes.DECRYPT_FAILED))
  })

  it('names structured scopes by their canonical isolation key', async () => {
    expect(scopeToTenantId({ org: 'acme', environment: 'prod' })).toBe('acme:::prod:')
    expect(scopeToTenantId({ org: 'a:b', server: 's', project: 'p', environment: 'e', codeHash: 'h' })).toBe(
      'a\\:b:s:p:e:h',
    )
    const f = new TenantFactory({ kdf: TEST_KDF })
    const prod = await f.createTenant({ tenantId: { org: 'acme', environment: 'prod' }, password: 'pw' })
    const dev = await f.createTenant({ tenantId: { org: 'acme', environment: 'dev' }, password: 'pw' })
    expect(prod.id).not.toBe(dev.id)
    const doc = await (await prod.openDB('orders')).createDocument({ data: { secret: 1 } })
    const devDb = await dev.openDB('orders')
    const r = await devDb.pullChangesFrom(await prod.openDB('orders'))
    expect(r.transferred).toBe(1)
    expect(await devDb.getDocumentStatus(doc.getId())).toBe('untrusted')
    expect(r.materialised.untrusted.map((u) => u.code)).toEqual([ErrorCodes.ORIGIN_NOT_LINKED])
  })
})

describe('TenantFactory clock', () => {
  it('gives created and reopened tenants the injected clock', async () => {
    let now = 1_000
    const f = new TenantFactory({ kdf: TEST_KDF, clock: () => now })
    const t = await f.createTenant({ tenantId: 'c', password: 'pw' })
    expect(t.now()).toBe(1_000)
    now = 5_000
    expect((await f.openTenant('c', { password: 'pw' })).now()).toBe(5_000)
  })
})
