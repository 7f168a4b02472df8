import { beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, ready } from '../src/index.ts'
import { deviceId, firstDevice, joinDevice, PASSWORD, syncDevices } from './helpers/devices.ts'

beforeAll(ready)

describe('removing a device', () => {
  it('holds its later writes untrusted, keeps what it wrote before, and locks it out of what is written after', async () => {
    const a = await firstDevice('acme')
    const b = await joinDevice(a.tenant, { role: 'writer', userName: 'laptop' })
    const c = await joinDevice(a.tenant, { role: 'writer', userName: 'phone' })
    const dbB = await b.tenant.openDB('notes')
    const before = await dbB.createDocument({ data: { text: 'written before removal' } })
    await syncDevices(a.tenant, b.tenant, ['notes'])
    await syncDevices(a.tenant, c.tenant, ['notes'])

    await a.tenant.members.removeDevice(await deviceId(b.tenant))
    // The removed laptop, not told yet, goes on writing.
    await dbB.changeDoc(before.getId(), (d) => void (d.getData().text = 'changed after removal'))
    const after = await dbB.createDocument({ data: { text: 'written after removal' } })
    // The admin writes a document after the removal, under the rotated key.
    const dbA = await a.tenant.openDB('notes')
    const secret = await dbA.createDocument({ data: { text: 'after removal, for members only' } })

    await syncDevices(a.tenant, c.tenant, ['notes'])
    await syncDevices(b.tenant, c.tenant, ['notes']) // the laptop's writes reach the phone directly
    await syncDevices(a.tenant, b.tenant, ['notes'])

    for (const t of [a.tenant, c.tenant]) {
      const db = await t.openDB('notes')
      expect((await db.getDocument(before.getId()))?.getData().text).toBe('written before removal')
      expect(await db.getDocumentStatus(after.getId())).toBe('untrusted')
      expect(await db.getDocument(after.getId())).toBeUndefined()
      expect((await db.getDocument(secret.getId()))?.getData().text).toBe('after removal, for members only')
    }
    // The laptop holds the new document's entries but not the key version they are under.
    expect(await dbB.getDocumentStatus(secret.getId())).toBe('locked')
    const bRow = (await a.tenant.members.list()).flatMap((m) => m.devices).find((d) => !d.self && d.removed)
    expect(bRow).toBeDefined()
    // Once it knows, the removed device may not write any more.
    await expect(dbB.createDocument({ data: { x: 1 } })).rejects.toMatchObject({ code: ErrorCodes.READ_ONLY })
  })

  it("a member's snapshot that covers a removed device's late write does not bring it back", async () => {
    const a = await firstDevice('acme')
    const b = await joinDevice(a.tenant, { role: 'writer', userName: 'laptop' })
    const c = await joinDevice(a.tenant, { role: 'writer', userName: 'phone' })
    const doc = await (await a.tenant.openDB('notes')).createDocument({ data: { text: 'first' } })
    for (const t of [b.tenant, c.tenant]) await syncDevices(a.tenant, t, ['notes'])
    await a.tenant.members.removeDevice(await deviceId(b.tenant))
    // The laptop writes after its removal; the phone, not told yet, takes it and writes a snapshot over it.
    await (
      await b.tenant.openDB('notes')
    ).changeDoc(doc.getId(), (d) => void (d.getData().late = 'by the removed laptop'))
    await syncDevices(b.tenant, c.tenant, ['notes'])
    const dbC = await c.tenant.openDB('notes', { snapshotEvery: 1 })
    await dbC.changeDoc(doc.getId(), (d) => void (d.getData().phone = 'edit'))
    await syncDevices(a.tenant, c.tenant, ['notes'])
    // The phone's edit followed the late write, so like any change whose predecessor is missing it
    // waits for it: the document stays as it was before the late write, everywhere.
    const expected = { text: 'first' }
    expect((await dbC.getDocument(doc.getId()))?.getData()).toEqual(expected)
    expect((await (await a.tenant.openDB('notes')).getDocument(doc.getId()))?.getData()).toEqual(expected)
    // Reopened, both load from the phone's snapshot: the late write stays out.
    for (const device of [a, c]) {
      await device.tenant.close()
      const again = await device.factory.openTenant('acme', { password: PASSWORD })
      expect((await (await again.openDB('notes')).getDocument(doc.getId()))?.getData()).toEqual(expected)
      await again.close()
    }
  })

  it("rotates the tenant's own keys on a removal, never a key a partner shared with it", async () => {
    const partner = await firstDevice('globex')
    await partner.tenant.keyBag.generateKey('collab')
    const a = await firstDevice('acme')
    const b = await joinDevice(a.tenant, { role: 'writer' })
    await a.tenant.keyBag.generateKey('team')
    const offer = await partner.tenant.sharing.share({
      partner: a.tenant.publicProfile(),
      databases: ['shared'],
      keys: ['collab'],
    })
    await a.tenant.sharing.accept(offer)
    await a.tenant.members.removeDevice(await deviceId(b.tenant))
    expect(a.tenant.keyBag.current('default').version).toBe(2)
    expect(a.tenant.keyBag.current('team').version).toBe(2)
    expect(a.tenant.keyBag.current('collab').version).toBe(1)
  })

  it('removeUser removes every device of the user; unknown ids are refused', async () => {
    const a = await firstDevice('acme')
    const b1 = await joinDevice(a.tenant, { role: 'writer', userName: 'bob' })
    const bobId = (await b1.tenant.members.self())!.userId
    const b2 = await joinDevice(a.tenant, { userId: bobId })
    await b2.tenant.openDB('notes').then((db) => db.createDocument({ data: { n: 1 } }))
    await a.tenant.members.removeUser(bobId)
    const bob = (await a.tenant.members.list()).find((m) => m.userId === bobId)!
    expect(bob.removed).toBe(true)
    expect(bob.devices.map((d) => d.removed)).toEqual([true, true])
    await expect(a.tenant.members.removeUser(bobId)).rejects.toMatchObject({ code: ErrorCodes.MEMBER_NOT_FOUND })
    await expect(a.tenant.members.removeDevice('nope')).rejects.toMatchObject({ code: ErrorCodes.MEMBER_NOT_FOUND })
    // An admin cannot cut itself off (its own key record would then be refused everywhere).
    await expect(a.tenant.members.removeDevice(await deviceId(a.tenant))).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
    })
    await expect(a.tenant.members.removeUser((await a.tenant.members.self())!.userId)).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
    })
    await syncDevices(a.tenant, b2.tenant, ['notes'])
    const ids = await (await a.tenant.openDB('notes')).listDocuments()
    expect(ids.map((d) => d.status)).toEqual(['untrusted'])
  })
})
