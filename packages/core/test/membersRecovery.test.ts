import { beforeAll, describe, expect, it } from 'vitest'
import {
  ErrorCodes,
  MemoryStoreFactory,
  ready,
  TenantFactory,
  TEST_KDF,
  type StoreFactory,
  type Tenant,
} from '../src/index.ts'
import { contents, deviceId, firstDevice, joinDevice, syncDevices } from './helpers/devices.ts'

beforeAll(ready)

/** Pulls every named database of a tenant from another device's storage. */
async function pullAll(tenant: Tenant, from: StoreFactory, dbs: readonly string[]): Promise<void> {
  for (const name of dbs)
    await (await tenant.openDB(name)).pullChangesFrom(await from.openChangeStore(`${tenant.id}/${name}`))
}

describe('recovery', () => {
  it('after every password is lost, the recovery code re-establishes an admin device that reads everything', async () => {
    const a = await firstDevice('acme')
    const b = await joinDevice(a.tenant, { role: 'writer' })
    await a.tenant.keyBag.generateKey('team') // a named key made after b joined: recovered too
    const notes = await a.tenant.openDB('notes', { keyId: 'team' })
    await notes.createDocument({ data: { text: 'before the kit' } })
    const code = await a.tenant.createRecoveryKit()
    expect(code).toMatch(/^([0-9A-Z]{5}-){7}[0-9A-Z]{5}$/)
    // Keys rotate after the kit (a removal): documents written later are still recovered.
    await syncDevices(a.tenant, b.tenant, ['notes'])
    await a.tenant.members.removeDevice(await deviceId(b.tenant))
    await notes.createDocument({ data: { text: 'after a rotation' } })
    const expected = await contents(a.tenant, 'notes')
    await a.tenant.close()

    // Every password is lost: a fresh device with only the code and the old device's storage.
    const fresh = new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF })
    await expect(
      fresh.recoverTenant({
        tenantId: 'acme',
        recoveryCode: 'AAAAA-'.repeat(7) + 'AAAAA',
        newPassword: 'n',
        from: a.storage,
      }),
    ).rejects.toMatchObject({ code: ErrorCodes.BAD_RECOVERY_CODE })
    await expect(
      fresh.recoverTenant({ tenantId: 'acme', recoveryCode: 'short', newPassword: 'n', from: a.storage }),
    ).rejects.toMatchObject({ code: ErrorCodes.BAD_RECOVERY_CODE })
    const recovered = await fresh.recoverTenant({
      tenantId: 'acme',
      recoveryCode: code.toLowerCase(),
      newPassword: 'fresh-pw',
      from: a.storage,
    })
    expect((await recovered.members.self())?.role).toBe('admin')
    await pullAll(recovered, a.storage, ['notes'])
    expect(await contents(recovered, 'notes')).toEqual(expected)
    expect(
      Object.values(expected)
        .map((d) => (d as { text: string }).text)
        .sort(),
    ).toEqual(['after a rotation', 'before the kit'])

    // It is an admin: it can admit a new device, which writes and is trusted.
    const c = await joinDevice(recovered, { role: 'writer' })
    const written = await (
      await c.tenant.openDB('notes')
    ).createDocument({ data: { text: 'by a device the recovered admin let in' } })
    await syncDevices(recovered, c.tenant, ['notes'])
    expect((await (await recovered.openDB('notes')).getDocument(written.getId()))?.getData().text).toBe(
      'by a device the recovered admin let in',
    )
    await recovered.close()
    await expect(fresh.openTenant('acme', { password: 'fresh-pw' })).resolves.toBeDefined()
  })

  it('a new kit replaces the old one: the old code no longer recovers', async () => {
    const a = await firstDevice('acme')
    const first = await a.tenant.createRecoveryKit()
    const second = await a.tenant.createRecoveryKit()
    const fresh = (): TenantFactory => new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF })
    await expect(
      fresh().recoverTenant({ tenantId: 'acme', recoveryCode: first, newPassword: 'n', from: a.storage }),
    ).rejects.toMatchObject({ code: ErrorCodes.BAD_RECOVERY_CODE })
    const ok = await fresh().recoverTenant({
      tenantId: 'acme',
      recoveryCode: second,
      newPassword: 'n',
      from: a.storage,
    })
    expect((await ok.members.self())?.role).toBe('admin')
  })
})
