import { beforeAll, describe, expect, it } from 'vitest'
import {
  ErrorCodes,
  joinRequestToString,
  MemoryStoreFactory,
  parseJoinRequest,
  ready,
  TenantFactory,
  TEST_KDF,
  type JoinRequest,
} from '../src/index.ts'
import { firstDevice, joinDevice, PASSWORD } from './helpers/devices.ts'
import { openTenantRecord } from '../src/tenant/index.ts'
import { sealKeyVersions } from '../src/keys/index.ts'
import { fromBase64Url, toBase64Url } from '../src/codec/index.ts'

beforeAll(ready)

async function newDevice(): Promise<TenantFactory> {
  return new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF })
}

describe('join requests', () => {
  it('travel as plain JSON and as a weft://join/ string', async () => {
    const factory = await newDevice()
    const request = await factory.createJoinRequest({ tenantId: 'acme', userName: 'bob', password: PASSWORD })
    expect(JSON.parse(JSON.stringify(request))).toEqual(request)
    const text = joinRequestToString(request)
    expect(text.startsWith('weft://join/')).toBe(true)
    expect(parseJoinRequest(text).request).toEqual(request)

    const a = await firstDevice('acme')
    const response = await a.tenant.approveJoinRequest(text, { role: 'reader' })
    expect(JSON.parse(JSON.stringify(response))).toEqual(response)
    const joined = await factory.joinTenant(text, response, { password: PASSWORD })
    expect((await joined.members.self())?.role).toBe('reader')
  })

  it('a tampered request is refused and nothing changes', async () => {
    const a = await firstDevice('acme')
    const request = await (
      await newDevice()
    ).createJoinRequest({ tenantId: 'acme', userName: 'bob', password: PASSWORD })
    const other = await (await newDevice()).createJoinRequest({ tenantId: 'acme', userName: 'eve', password: PASSWORD })
    const before = await a.tenant.members.list()
    const tampered: JoinRequest[] = [
      { ...request, userName: 'mallory' },
      { ...request, signingKey: other.signingKey },
      { ...request, boxKey: other.boxKey }, // keys sealed to someone else
      { ...request, secret: other.secret },
    ]
    for (const t of tampered)
      await expect(a.tenant.approveJoinRequest(t, { role: 'admin' })).rejects.toMatchObject({
        code: ErrorCodes.BAD_JOIN_REQUEST,
      })
    await expect(a.tenant.approveJoinRequest('weft://join/AAAA', {})).rejects.toMatchObject({
      code: ErrorCodes.BAD_JOIN_REQUEST,
    })
    const foreign = await (
      await newDevice()
    ).createJoinRequest({ tenantId: 'globex', userName: 'x', password: PASSWORD })
    await expect(a.tenant.approveJoinRequest(foreign, {})).rejects.toMatchObject({ code: ErrorCodes.BAD_JOIN_REQUEST })
    expect(await a.tenant.members.list()).toEqual(before)
  })

  it('a replayed request or response is refused and nothing changes', async () => {
    const a = await firstDevice('acme')
    const factory = await newDevice()
    const request = await factory.createJoinRequest({ tenantId: 'acme', userName: 'bob', password: PASSWORD })
    const response = await a.tenant.approveJoinRequest(request, { role: 'writer' })
    const after = await a.tenant.members.list()
    await expect(a.tenant.approveJoinRequest(request, { role: 'admin' })).rejects.toMatchObject({
      code: ErrorCodes.JOIN_REPLAYED,
    })
    expect(await a.tenant.members.list()).toEqual(after)

    await factory.joinTenant(request, response, { password: PASSWORD })
    await expect(factory.joinTenant(request, response, { password: PASSWORD })).rejects.toMatchObject({
      code: ErrorCodes.JOIN_REPLAYED,
    })
    // The response replayed to another device that never made the request.
    await expect((await newDevice()).joinTenant(request, response, { password: PASSWORD })).rejects.toMatchObject({
      code: ErrorCodes.JOIN_REPLAYED,
    })
  })

  it('a tampered or mismatched response is refused, and the request stays usable', async () => {
    const a = await firstDevice('acme')
    const factory = await newDevice()
    const request = await factory.createJoinRequest({ tenantId: 'acme', userName: 'bob', password: PASSWORD })
    const response = await a.tenant.approveJoinRequest(request, { role: 'reader' })
    const second = await factory.createJoinRequest({ tenantId: 'acme', userName: 'bob', password: PASSWORD })
    await expect(
      factory.joinTenant(request, { ...response, role: 'admin' }, { password: PASSWORD }),
    ).rejects.toMatchObject({ code: ErrorCodes.BAD_JOIN_REQUEST })
    await expect(factory.joinTenant(second, response, { password: PASSWORD })).rejects.toMatchObject({
      code: ErrorCodes.BAD_JOIN_REQUEST,
    })
    await expect(factory.joinTenant(request, response, { password: 'wrong' })).rejects.toMatchObject({
      code: ErrorCodes.WRONG_PASSWORD,
    })
    await expect(factory.openTenant('acme', { password: PASSWORD })).rejects.toMatchObject({
      code: ErrorCodes.TENANT_NOT_FOUND,
    })
    const joined = await factory.joinTenant(request, response, { password: PASSWORD })
    expect((await joined.members.self())?.role).toBe('reader')
  })

  it('a response signed by a device that is not an admin is refused, storing nothing', async () => {
    const a = await firstDevice('acme')
    const storage = new MemoryStoreFactory()
    const factory = new TenantFactory({ storeFactory: storage, kdf: TEST_KDF })
    const request = await factory.createJoinRequest({ tenantId: 'acme', userName: 'bob', password: PASSWORD })
    const response = await a.tenant.approveJoinRequest(request, { role: 'writer' })
    // The same response with its directory emptied: nothing admits the device.
    const { createJoinResponse } = await import('../src/members/index.ts')
    const { generateIdentity } = await import('../src/tenant/index.ts')
    const forger = generateIdentity().signing
    const { v: _v, type: _t, approver: _a, signature: _s, ...fields } = response
    const forged = createJoinResponse({ ...fields, directory: [] }, forger)
    await expect(factory.joinTenant(request, forged, { password: PASSWORD })).rejects.toMatchObject({
      code: ErrorCodes.BAD_JOIN_REQUEST,
    })
    // Signed by a real writer of the tenant, with the real directory: still not an admin.
    const writer = await joinDevice(a.tenant, { role: 'writer' })
    const writerKey = openTenantRecord(
      (await (await writer.storage.openKeyValueStore('weft-tenants')).get('tenant/acme'))!,
      PASSWORD,
    ).record.identity.signing
    // The writer holds the keys, so it can seal them itself: only the directory shows it is no admin.
    const keys = writer.tenant.keyBag
      .keyIds()
      .map((k) =>
        toBase64Url(sealKeyVersions(k, writer.tenant.keyBag.versions(k), fromBase64Url(request.boxKey), writerKey)),
      )
    const byWriter = createJoinResponse({ ...fields, keys, directory: response.directory }, writerKey)
    await expect(factory.joinTenant(request, byWriter, { password: PASSWORD })).rejects.toMatchObject({
      code: ErrorCodes.BAD_JOIN_REQUEST,
    })
    expect(await (await storage.openChangeStore('acme/_directory')).getAllChangeHashes()).toEqual([])
    await expect(factory.openTenant('acme', { password: PASSWORD })).rejects.toMatchObject({
      code: ErrorCodes.TENANT_NOT_FOUND,
    })
    // The genuine response still works.
    expect((await (await factory.joinTenant(request, response, { password: PASSWORD })).members.self())?.role).toBe(
      'writer',
    )
  })
})
