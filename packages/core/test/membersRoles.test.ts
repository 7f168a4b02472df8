import { beforeAll, describe, expect, it } from 'vitest'
import { DIRECTORY_DB, ErrorCodes, ready, type Tenant } from '../src/index.ts'
import { appendRecord, createMemberRecord } from '../src/members/index.ts'
import { generateIdentity, openTenantRecord } from '../src/tenant/index.ts'
import { randomBytes } from '../src/crypto/index.ts'
import {
  deviceId,
  firstDevice,
  joinDevice,
  PASSWORD,
  syncDevices,
  syncDirectory,
  type Device,
} from './helpers/devices.ts'

beforeAll(ready)

/** Writes a record signed by `signer`'s device key straight into its directory store, as a forger would. */
async function forge(
  tenant: Tenant,
  signer: { publicKey: Uint8Array; privateKey: Uint8Array },
  op: Parameters<typeof createMemberRecord>[0],
): Promise<void> {
  const lamport = tenant.members.state.lamport + 1
  const record = createMemberRecord(op, { tenant: tenant.id, lamport, nonce: randomBytes(16) }, signer)
  await appendRecord((await tenant.openDB(DIRECTORY_DB)).getStore(), record, {
    tenantId: tenant.id,
    keyBag: tenant.keyBag,
    signer,
  })
}

describe('roles', () => {
  it("a reader's writes are never materialised, and a reader may not write", async () => {
    const a = await firstDevice('acme')
    const w = await joinDevice(a.tenant, { role: 'writer', userName: 'writer' })
    const r = await joinDevice(a.tenant, { role: 'reader', userName: 'reader' })
    const doc = await (await a.tenant.openDB('notes')).createDocument({ data: { n: 1 } })
    await syncDevices(a.tenant, r.tenant, ['notes'])
    const dbR = await r.tenant.openDB('notes')
    expect((await dbR.getDocument(doc.getId()))?.getData().n).toBe(1)
    await expect(dbR.changeDoc(doc.getId(), (d) => void (d.getData().n = 2))).rejects.toMatchObject({
      code: ErrorCodes.READ_ONLY,
    })
    // The refused write left the document as it was: later changes from others still apply.
    await (await a.tenant.openDB('notes')).changeDoc(doc.getId(), (d) => void (d.getData().n = 3))
    await syncDevices(a.tenant, r.tenant, ['notes'])
    expect((await dbR.getDocument(doc.getId()))?.getData().n).toBe(3)

    // A writer demoted while offline: what it writes before it hears of it is never materialised by others.
    await a.tenant.members.setRole((await w.tenant.members.self())!.userId, 'reader')
    const late = await (await w.tenant.openDB('notes')).createDocument({ data: { by: 'demoted writer' } })
    await syncDevices(w.tenant, r.tenant, ['notes'])
    await syncDevices(a.tenant, r.tenant, ['notes'])
    await syncDevices(a.tenant, w.tenant, ['notes'])
    for (const t of [a.tenant, r.tenant])
      expect(await (await t.openDB('notes')).getDocumentStatus(late.getId())).toBe('untrusted')

    // Promoted again: new writes count, the one written as a reader still does not.
    await a.tenant.members.setRole((await w.tenant.members.self())!.userId, 'writer')
    await syncDirectory(a.tenant, w.tenant)
    const fresh = await (await w.tenant.openDB('notes')).createDocument({ data: { by: 'writer again' } })
    await syncDevices(a.tenant, w.tenant, ['notes'])
    const dbA = await a.tenant.openDB('notes')
    expect((await dbA.getDocument(fresh.getId()))?.getData().by).toBe('writer again')
    expect(await dbA.getDocumentStatus(late.getId())).toBe('untrusted')
  })

  it('a writer cannot change the directory, through the API or by forging records', async () => {
    const a = await firstDevice('acme')
    const w = await joinDevice(a.tenant, { role: 'writer', userName: 'writer' })
    const self = (await w.tenant.members.self())!
    await expect(w.tenant.members.setRole(self.userId, 'admin')).rejects.toMatchObject({ code: ErrorCodes.NOT_ADMIN })
    await expect(w.tenant.members.removeDevice(await deviceId(a.tenant))).rejects.toMatchObject({
      code: ErrorCodes.NOT_ADMIN,
    })
    await expect(w.tenant.createRecoveryKit()).rejects.toMatchObject({ code: ErrorCodes.NOT_ADMIN })
    const request = await (
      await firstDevice('other')
    ).factory.createJoinRequest({ tenantId: 'acme', userName: 'x', password: 'p' })
    await expect(w.tenant.approveJoinRequest(request, { role: 'admin' })).rejects.toMatchObject({
      code: ErrorCodes.NOT_ADMIN,
    })

    // Signed by the writer's own device key: a well-formed record from a non-admin.
    const writerKey = await ownSigningKey(w)
    await forge(w.tenant, writerKey, { op: 'set-role', userId: self.userId, role: 'admin', hashes: [] })
    // Signed by a key nobody admitted.
    const stranger = generateIdentity()
    await forge(w.tenant, stranger.signing, {
      op: 'add-device',
      userId: 'evil',
      name: 'evil',
      role: 'admin',
      device: { key: stranger.signing.publicKey, box: stranger.box.publicKey },
      joinId: 'x',
    })
    await syncDirectory(a.tenant, w.tenant)
    const report = await a.tenant.members.refresh()
    expect(report.refused).toHaveLength(2)
    for (const r of report.refused) expect(r.error).toMatchObject({ code: ErrorCodes.MEMBER_RECORD_REFUSED })
    const users = await a.tenant.members.list()
    expect(users.find((u) => u.userId === self.userId)?.role).toBe('writer')
    expect(users.some((u) => u.userId === 'evil')).toBe(false)
    expect((await w.tenant.members.self())?.role).toBe('writer')
  })

  it('a record whose bytes were changed after signing is refused', async () => {
    const a = await firstDevice('acme')
    await joinDevice(a.tenant, { role: 'reader', userName: 'r' })
    const { verifyMemberRecord } = await import('../src/members/index.ts')
    const signer = generateIdentity().signing
    const record = createMemberRecord(
      { op: 'keys', sealed: [] },
      { tenant: 'acme', lamport: 1, nonce: randomBytes(16) },
      signer,
    )
    expect(verifyMemberRecord(record, 'acme').op).toBe('keys')
    const [body, sig] = record.split('.')
    const flipped = `${body!.slice(0, 10)}${body![10] === 'A' ? 'B' : 'A'}${body!.slice(11)}.${sig}`
    expect(() => verifyMemberRecord(flipped, 'acme')).toThrow(
      expect.objectContaining({ code: ErrorCodes.MEMBER_RECORD_REFUSED }),
    )
    expect(() => verifyMemberRecord(record, 'globex')).toThrow(
      expect.objectContaining({ code: ErrorCodes.MEMBER_RECORD_REFUSED }),
    )
  })
})

/** A device's own signing key pair, read from its storage with its password: what a rogue member holds. */
async function ownSigningKey(device: Device): Promise<{ publicKey: Uint8Array; privateKey: Uint8Array }> {
  const sealed = await (await device.storage.openKeyValueStore('weft-tenants')).get(`tenant/${device.tenant.id}`)
  return openTenantRecord(sealed!, PASSWORD).record.identity.signing
}
