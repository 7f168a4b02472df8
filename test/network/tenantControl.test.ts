import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryStoreFactory, TenantFactory, TEST_KDF } from '@weft/core'
import { ErrorCodes, ready, type ServerSigner } from '@weft/core/backend'
import { registerMembers, resetTenant, RemoteChangeStore, ServerConnection, transferTenant } from '@weft/client'
import { createTenantControl, SOCKET_CLOSE, type SignedTenantControl } from '@weft/protocol'
import { WeftServer } from '@weft/server'
import { recordingSocket } from '../adversarial/helpers/sockets.ts'
import { connect, joinDevice, pushDb, rootDevice, storageOf } from './helpers/directoryDevices.ts'

// The first registration of a tenant id no longer locks it for good: an admin device of the
// directory transfers it to another key, the registered admin resets it; both are signed for one
// server and carry a seq, so neither replays there or anywhere else.

let a: WeftServer
let b: WeftServer
beforeAll(async () => {
  await ready()
  const limits = { requestsPerSecond: 10_000, burst: 10_000 }
  ;[a, b] = await Promise.all([WeftServer.start({ limits }), WeftServer.start({ limits })])
})
afterAll(() => Promise.all([a.close(), b.close()]))

/** Posts a signed control operation to `server` as it is (no re-signing): what a replay does. */
function post(server: WeftServer, c: SignedTenantControl) {
  const conn = new ServerConnection({ url: server.url, tenant: c.tenant, key: { publicKey: c.signer } as ServerSigner })
  return conn.post(`${conn.tenantPath}/${c.op}`, { control: c })
}

describe('transfer', () => {
  it("an admin device of the directory takes over the tenant id; the old admin's registrations, replays, old seqs, another server's and a writer's transfers are refused", async () => {
    const root = await rootDevice(a.url)
    await registerMembers({ url: b.url, tenant: root.id, admin: root.serverSigner(), seq: 1 })
    const laptop = await joinDevice(root, { role: 'admin' })
    const phone = await joinDevice(root, { role: 'writer' })
    await connect(a.url, phone).token() // hands server A the directory
    await connect(b.url, phone).token() // and server B

    const signed = createTenantControl(
      { op: 'transfer', server: a.serverId, tenant: root.id, seq: 10, to: laptop.signingKey },
      laptop.serverSigner(),
    )
    expect(await post(a, signed)).toMatchObject({ seq: 10 })
    // The new admin registers; the old one is refused.
    await expect(
      registerMembers({ url: a.url, tenant: root.id, admin: laptop.serverSigner(), seq: 2 }),
    ).resolves.toMatchObject({ seq: 2 })
    await expect(
      registerMembers({ url: a.url, tenant: root.id, admin: root.serverSigner(), seq: 3 }),
    ).rejects.toMatchObject({ code: ErrorCodes.FORBIDDEN })
    // The same transfer again, an older seq, and the transfer on another server: refused.
    await expect(post(a, signed)).rejects.toMatchObject({ code: ErrorCodes.FORBIDDEN })
    await expect(
      transferTenant({ url: a.url, tenant: root.id, signer: laptop.serverSigner(), to: laptop.signingKey, seq: 9 }),
    ).rejects.toMatchObject({ code: ErrorCodes.FORBIDDEN })
    await expect(post(b, signed)).rejects.toMatchObject({ code: ErrorCodes.FORBIDDEN })
    // A writer's device may not transfer the tenant id.
    await expect(
      transferTenant({ url: b.url, tenant: root.id, signer: phone.serverSigner(), to: phone.signingKey, seq: 11 }),
    ).rejects.toMatchObject({ code: ErrorCodes.FORBIDDEN })
    // Server B still has the root as admin; the directory still admits the devices on A (its root stays).
    await expect(
      registerMembers({ url: b.url, tenant: root.id, admin: root.serverSigner(), seq: 2 }),
    ).resolves.toMatchObject({ seq: 2 })
    await expect(connect(a.url, phone).token()).resolves.toBeTypeOf('string')
  })
})

describe('recovery', () => {
  it('the device a recovery code re-establishes is admitted from the directory and takes the tenant id over', async () => {
    const root = await rootDevice(a.url)
    const code = await root.createRecoveryKit()
    // Every device and password is lost; the directory survives in a copy of the root's storage.
    const fresh = new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF })
    const recovered = await fresh.recoverTenant({
      tenantId: root.id,
      recoveryCode: code,
      newPassword: 'new password',
      from: storageOf(root),
    })
    await expect(connect(a.url, recovered).token()).resolves.toBeTypeOf('string')
    await transferTenant({ url: a.url, tenant: root.id, signer: recovered.serverSigner(), to: recovered.signingKey })
    await expect(
      registerMembers({ url: a.url, tenant: root.id, admin: recovered.serverSigner(), seq: 2 }),
    ).resolves.toMatchObject({ seq: 2 })
  })
})

describe('reset', () => {
  it('the registered admin erases the tenant: sockets close, devices are refused, data is gone, and the reset does not replay', async () => {
    const root = await rootDevice(a.url)
    const phone = await joinDevice(root, { role: 'writer' })
    const rootConn = connect(a.url, root)
    await (await root.openDB('notes')).createDocument({ data: { secret: 1 } })
    await pushDb(rootConn, root, 'notes')
    const socket = await recordingSocket(a.url, root.id, await connect(a.url, phone).token())
    socket.send({ type: 'subscribe', db: 'notes', since: null })

    await expect(
      resetTenant({ url: a.url, tenant: root.id, signer: phone.serverSigner(), seq: 5 }),
    ).rejects.toMatchObject({ code: ErrorCodes.FORBIDDEN })
    const reset = createTenantControl({ op: 'reset', server: a.serverId, tenant: root.id, seq: 5 }, root.serverSigner())
    await expect(post(b, reset)).rejects.toMatchObject({ code: ErrorCodes.FORBIDDEN }) // made for A
    expect(await post(a, reset)).toMatchObject({ reset: true, seq: 5 })

    expect((await socket.closed).code).toBe(SOCKET_CLOSE.SIGN_IN_AGAIN)
    await expect(connect(a.url, phone).token()).rejects.toMatchObject({ code: ErrorCodes.UNAUTHORIZED })
    await expect(rootConn.db('notes', 'head', {})).rejects.toMatchObject({ code: ErrorCodes.UNAUTHORIZED })
    await expect(post(a, reset)).rejects.toMatchObject({ code: ErrorCodes.TENANT_NOT_FOUND })

    // The id is free: registered again (by the same key here), it holds nothing, and the old reset is spent.
    await registerMembers({ url: a.url, tenant: root.id, admin: root.serverSigner(), seq: 1 })
    // The directory was erased too: the phone is unknown until a device hands the records again.
    await expect(
      new ServerConnection({
        url: a.url,
        tenant: root.id,
        key: { ...phone.serverSigner(), directory: undefined },
      }).token(),
    ).rejects.toMatchObject({ code: ErrorCodes.UNAUTHORIZED })
    const again = connect(a.url, root)
    expect((await new RemoteChangeStore({ connection: again, db: 'notes' }).getAllChangeHashes()).length).toBe(0)
    await expect(post(a, reset)).rejects.toMatchObject({ code: ErrorCodes.FORBIDDEN })
  })
})
