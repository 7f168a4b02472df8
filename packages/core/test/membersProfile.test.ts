import { describe, expect, it } from 'vitest'
import { TenantFactory, TEST_KDF } from '../src/index.ts'
import { deviceId, firstDevice, joinDevice, syncDirectory } from './helpers/devices.ts'

describe('partner profiles and the directory', () => {
  it("list the directory's writer and admin devices, not readers' or removed ones, so a partner accepts a joined device's entries", async () => {
    const acme = (await firstDevice('acme')).tenant
    await acme.keyBag.generateKey('collab')
    const phone = (await joinDevice(acme, { role: 'writer' })).tenant
    const laptop = (await joinDevice(acme, { role: 'admin' })).tenant
    const reader = (await joinDevice(acme, { role: 'reader' })).tenant
    const lost = (await joinDevice(acme, { role: 'writer' })).tenant
    await acme.members.removeDevice(await deviceId(lost))
    await syncDirectory(acme, phone)

    const profile = acme.publicProfile()
    expect(profile.members).toEqual(
      expect.arrayContaining([await deviceId(phone), await deviceId(laptop), await deviceId(acme)]),
    )
    expect(profile.members).not.toContain(await deviceId(reader))
    expect(profile.members).not.toContain(await deviceId(lost))

    // A partner given the profile (and the key) after the phone joined accepts what the phone writes.
    const beta = await new TenantFactory({ kdf: TEST_KDF }).createTenant({ tenantId: 'beta', password: 'pw' })
    await beta.addPartner(profile, { dbs: ['shared'] })
    await beta.acceptSharedKey(acme.shareKey('collab', beta.publicProfile()))
    const written = await (
      await phone.openDB('shared', { keyId: 'collab' })
    ).createDocument({ data: { from: 'phone' } })
    const mine = await beta.openDB('shared')
    await mine.pullChangesFrom(await phone.openDB('shared'))
    expect(await mine.getDocumentStatus(written.getId())).toBe('ready')
    expect((await mine.getDocument(written.getId()))?.getData()).toEqual({ from: 'phone' })
  })

  it('a tenant without a directory lists its own key only, as before', async () => {
    const solo = (await firstDevice('solo')).tenant
    expect(solo.publicProfile().members).toEqual([
      await solo.members.list().then(() => solo.publicProfile().signingKey),
    ])
  })
})
