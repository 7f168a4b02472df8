import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, generateSigningKeyPair, ready, toBase64Url } from '@weft/core/backend'
import { registerMembers, resetTenant, ServerConnection } from '@weft/client'
import { WeftServer } from '@weft/server'
import { recordingSocket } from '../adversarial/helpers/sockets.ts'
import { eventually } from './helpers/devices.ts'
import { connect, joinDevice, pushDirectory, rootDevice } from './helpers/directoryDevices.ts'
import { admin, TEST_ADMIN_KEY as KEY } from './helpers/tenancy.ts'

// GET /v1/admin/tenants/:id/members: an operator sees a tenant's device keys (from the signed
// plaintext directory and registrations), their status, server-side times and open sockets.

interface Row {
  key: string
  userId: string | null
  role: string | null
  status: string
  source: string
  admittedAt: number | null
  lastSignInAt: number | null
  sockets: number
}

let server: WeftServer
beforeAll(async () => {
  await ready()
  server = await WeftServer.start({
    limits: { requestsPerSecond: 10_000, burst: 10_000 },
    tenancy: { adminKey: KEY },
  })
})
afterAll(() => server.close())

const members = (tenant: string, query = '', key = KEY) =>
  admin(server.url, 'GET', `/v1/admin/tenants/${tenant}/members${query}`, { key })

describe('members listing', () => {
  it("lists a tenant's devices with user, role, status, times and sockets; a removed device shows as removed; pages cover all once", async () => {
    const started = Date.now()
    const root = await rootDevice(server.url)
    const writer = await joinDevice(root, { role: 'writer' })
    const reader = await joinDevice(root, { role: 'reader' })
    const phone = await joinDevice(root, { role: 'writer' })
    const rootConn = connect(server.url, root)
    await pushDirectory(rootConn, root)
    await root.members.removeDevice((await phone.members.self())!.deviceId)
    await pushDirectory(rootConn, root)
    const token = await connect(server.url, writer).token()
    const socket = await recordingSocket(server.url, root.id, token)

    const key = async (t: typeof root) => (await t.members.self())?.deviceId
    const ids = {
      root: await key(root),
      writer: await key(writer),
      reader: await key(reader),
      phone: toBase64Url(phone.serverSigner().publicKey),
    }
    await eventually(
      async () => {
        const rows = (await members(root.id)).body.members as Row[]
        return rows.find((r) => r.key === ids.writer)?.sockets === 1
      },
      5_000,
      'the socket counted',
    )
    const answer = await members(root.id)
    expect(answer.status).toBe(200)
    const rows = answer.body.members as Row[]
    expect(answer.body.next).toBeUndefined()
    expect(rows.map((r) => r.key)).toEqual(Object.values(ids).sort())
    const of = (k: string | undefined) => rows.find((r) => r.key === k)!
    const rootSelf = (await root.members.self())!
    expect(of(ids.root)).toMatchObject({
      userId: rootSelf.userId,
      role: 'admin',
      status: 'active',
      source: 'directory',
    })
    expect(of(ids.writer)).toMatchObject({ role: 'writer', status: 'active', sockets: 1 })
    expect(of(ids.reader)).toMatchObject({ role: 'reader', status: 'active', sockets: 0, lastSignInAt: null })
    expect(of(ids.phone)).toMatchObject({ role: 'writer', status: 'removed', sockets: 0 })
    expect(of(ids.writer).lastSignInAt).toBeGreaterThanOrEqual(started)
    for (const r of rows) {
      expect(r.admittedAt).toBeGreaterThanOrEqual(started)
      expect(r.admittedAt).toBeLessThanOrEqual(Date.now())
    }
    // Only plaintext membership: no box keys, no sealed key records.
    expect(JSON.stringify(answer.body)).not.toMatch(/box|sealed/i)

    const paged: Row[] = []
    let after: string | undefined
    do {
      const page = await members(root.id, `?limit=1${after ? `&after=${encodeURIComponent(after)}` : ''}`)
      expect(page.body.members).toHaveLength(1)
      paged.push(...(page.body.members as Row[]))
      after = page.body.next as string | undefined
    } while (after)
    expect(paged.map((r) => r.key)).toEqual(rows.map((r) => r.key))

    socket.ws.close()
    await eventually(async () => ((await members(root.id)).body.members as Row[]).every((r) => r.sockets === 0))

    // Deleted, the tenant's directory and times go with it: registered again by the same key, it has one member, new.
    expect((await admin(server.url, 'DELETE', `/v1/admin/tenants/${root.id}`, { key: KEY })).status).toBe(200)
    const deletedAt = Date.now()
    await registerMembers({ url: server.url, tenant: root.id, admin: root.serverSigner(), seq: 1 })
    const anew = (await members(root.id)).body.members as Row[]
    expect(anew).toEqual([expect.objectContaining({ key: ids.root, source: 'registration', lastSignInAt: null })])
    expect(anew[0]!.admittedAt).toBeGreaterThanOrEqual(deletedAt)
  })

  it('lists keys a registration admitted or revoked, without a user; a reset erases their times', async () => {
    const tenant = `members-reg-${process.pid}`
    const owner = generateSigningKeyPair()
    const a = generateSigningKeyPair()
    const b = generateSigningKeyPair()
    await registerMembers({ url: server.url, tenant, admin: owner, seq: 1, add: [a.publicKey, b.publicKey] })
    await registerMembers({ url: server.url, tenant, admin: owner, seq: 2, revoke: [b.publicKey] })
    const rows = (await members(tenant)).body.members as Row[]
    const of = (k: Uint8Array) => rows.find((r) => r.key === toBase64Url(k))
    expect(of(owner.publicKey)).toMatchObject({ role: 'admin', userId: null, status: 'active', source: 'registration' })
    expect(of(a.publicKey)).toMatchObject({ role: null, status: 'active', source: 'registration' })
    expect(of(b.publicKey)).toMatchObject({ status: 'removed' })
    expect(of(a.publicKey)!.admittedAt).toEqual(expect.any(Number))
    await new ServerConnection({ url: server.url, tenant, key: a }).token()
    expect(
      ((await members(tenant)).body.members as Row[]).find((r) => r.key === toBase64Url(a.publicKey)),
    ).toMatchObject({
      lastSignInAt: expect.any(Number),
    })

    // The id is reset and registered again: the same key is admitted anew, never signed in.
    await resetTenant({ url: server.url, tenant, signer: owner, seq: 1 })
    expect((await members(tenant)).body.members).toEqual([])
    const resetAt = Date.now()
    await registerMembers({ url: server.url, tenant, admin: owner, seq: 3, add: [a.publicKey] })
    const again = ((await members(tenant)).body.members as Row[]).find((r) => r.key === toBase64Url(a.publicKey))!
    expect(again.admittedAt).toBeGreaterThanOrEqual(resetAt)
    expect(again.lastSignInAt).toBeNull()
  })

  it('refuses a bad API key (WEFT_UNAUTHORIZED) and names an unknown tenant (WEFT_TENANT_NOT_FOUND)', async () => {
    const root = await rootDevice(server.url)
    const wrong = `weft_${'C'.repeat(16)}_${'D'.repeat(43)}`
    const refused = await members(root.id, '', wrong)
    expect(refused.status).toBe(401)
    expect(refused.body.code).toBe(ErrorCodes.UNAUTHORIZED)
    const bare = await admin(server.url, 'GET', `/v1/admin/tenants/${root.id}/members`)
    expect(bare.body.code).toBe(ErrorCodes.UNAUTHORIZED)
    const unknown = await members(`nobody-${process.pid}`)
    expect(unknown.status).toBe(404)
    expect(unknown.body.code).toBe(ErrorCodes.TENANT_NOT_FOUND)
  })
})
