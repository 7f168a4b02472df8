import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemberRecord, ErrorCodes, generateSigningKeyPair, ready, randomBytes } from '@weft/core/backend'
import { TenantFactory, TEST_KDF, type Tenant } from '@weft/core'
import { registerMembers, RemoteChangeStore, RemoteStoreFactory, ServerConnection } from '@weft/client'
import { SOCKET_CLOSE, type Bodies } from '@weft/protocol'
import { WeftServer } from '@weft/server'
import { eventually } from './helpers/devices.ts'
import { EntryFactory, envelope } from '@weft/core/testing'
import {
  connect,
  joinDevice,
  newTenantId,
  PASSWORD,
  pushDb,
  pushDirectory,
  rootDevice,
  signingKeyOf,
} from './helpers/directoryDevices.ts'
import { recordingSocket } from '../adversarial/helpers/sockets.ts'

// A tenant's devices are admitted by the server from the tenant's signed directory: no per-device
// registration. A removed device is refused at once, open sockets included; a reader reads and
// never pushes; a writer cannot change the directory the server holds.

let server: WeftServer
beforeAll(async () => {
  await ready()
  server = await WeftServer.start({ limits: { requestsPerSecond: 10_000, burst: 10_000 } })
})
afterAll(() => server.close())

/** POSTs directory records as any caller would (before sign-in). */
function postRecords(tenant: string, records: string[]): Promise<Bodies['directory']['res']> {
  const conn = new ServerConnection({ url: server.url, tenant, key: generateSigningKeyPair() })
  return conn.post(`${conn.tenantPath}/directory`, { records })
}

describe('admission from the directory', () => {
  it('a joined device signs in, pushes and reads with no step but connecting', async () => {
    const admin = await rootDevice(server.url)
    const phone = await joinDevice(admin, { role: 'writer' })
    const notes = await phone.openDB('notes')
    await notes.createDocument({ data: { title: 'from the phone' } })
    const conn = connect(server.url, phone)
    const pushed = await pushDb(conn, phone, 'notes')
    expect(pushed.rejected).toEqual([])
    expect(pushed.added.length).toBeGreaterThan(0)
    // The admin device reads what the phone wrote through the server.
    const mine = await admin.openDB('notes')
    await mine.pullChangesFrom(new RemoteChangeStore({ connection: connect(server.url, admin), db: 'notes' }))
    expect(await mine.getAllDocumentIds()).toEqual(await notes.getAllDocumentIds())
  })

  it('a tenant whose databases live on the server (RemoteStoreFactory with its own signer) runs its directory there, and a device it admits connects', async () => {
    const holder: { root?: Tenant } = {}
    const remote = new RemoteStoreFactory({ url: server.url, keys: () => holder.root!.serverSigner() })
    const root = (holder.root = await new TenantFactory({ storeFactory: remote, kdf: TEST_KDF }).createTenant({
      tenantId: newTenantId('remote'),
      password: PASSWORD,
    }))
    await registerMembers({ url: server.url, tenant: root.id, admin: root.serverSigner(), seq: 1 })
    const phone = await joinDevice(root, { role: 'writer' }) // the directory is written to the server
    await (await root.openDB('notes')).createDocument({ data: { on: 'server' } })
    const onPhone = await phone.openDB('notes')
    await onPhone.pullChangesFrom(new RemoteChangeStore({ connection: connect(server.url, phone), db: 'notes' }))
    expect(await onPhone.getAllDocumentIds()).toHaveLength(1)
  })

  it('a device the server never heard of is refused (401) when its tenant has no directory', async () => {
    const admin = await rootDevice(server.url)
    const stranger = new ServerConnection({ url: server.url, tenant: admin.id, key: generateSigningKeyPair() })
    await expect(stranger.token()).rejects.toMatchObject({ code: ErrorCodes.UNAUTHORIZED })
  })

  it('a tenant the server does not hold cannot be created by posting a directory', async () => {
    const admin = await rootDevice(server.url)
    await joinDevice(admin)
    const records = await admin.members.membershipRecords()
    await expect(postRecords('nobody-registered-this', records)).rejects.toMatchObject({
      code: ErrorCodes.TENANT_NOT_FOUND,
    })
  })
})

describe('removal', () => {
  it("a removed device's open socket closes at once, and its sign-in, push and get are refused", async () => {
    const admin = await rootDevice(server.url)
    const phone = await joinDevice(admin, { role: 'writer' })
    const adminConn = connect(server.url, admin)
    const phoneConn = connect(server.url, phone)
    await (await admin.openDB('notes')).createDocument({ data: { n: 1 } })
    await pushDb(adminConn, admin, 'notes')
    const socket = await recordingSocket(server.url, admin.id, await phoneConn.token())
    socket.send({ type: 'subscribe', db: 'notes', since: null })
    await eventually(() => socket.entriesAfter(0, 'notes') > 0, 5_000, 'the first entries')

    await admin.members.removeDevice((await phone.members.self())!.deviceId)
    const removedAt = Date.now()
    // The admin syncs its directory to the server: the plaintext records go with it.
    await pushDirectory(adminConn, admin)
    await (await admin.openDB('notes')).createDocument({ data: { n: 2 } })
    await pushDb(adminConn, admin, 'notes')
    const closed = await socket.closed
    expect(closed.code).toBe(SOCKET_CLOSE.FORBIDDEN)
    expect(socket.entriesAfter(removedAt, 'notes')).toBe(0)

    await expect(phoneConn.db('notes', 'get', { hashes: new Uint8Array(32) })).rejects.toMatchObject({
      code: ErrorCodes.FORBIDDEN,
    })
    await (await phone.openDB('notes')).createDocument({ data: { late: true } })
    await expect(pushDb(phoneConn, phone, 'notes')).rejects.toMatchObject({ code: ErrorCodes.FORBIDDEN })
    phoneConn.invalidate()
    await expect(connect(server.url, phone).token()).rejects.toMatchObject({ code: ErrorCodes.FORBIDDEN })
  })

  it("removing a user refuses all its devices; the admin's other devices keep working", async () => {
    const admin = await rootDevice(server.url)
    const laptop = await joinDevice(admin, { role: 'admin' })
    const phone = await joinDevice(admin, { role: 'writer' })
    await connect(server.url, phone).token()
    const user = (await phone.members.self())!.userId
    await admin.members.removeUser(user)
    await connect(server.url, admin).syncDirectory()
    await expect(connect(server.url, phone).token()).rejects.toMatchObject({ code: ErrorCodes.FORBIDDEN })
    await expect(connect(server.url, laptop).token()).resolves.toBeTypeOf('string')
  })
})

describe('roles and forged records', () => {
  it('a reader signs in and reads; the server refuses its pushed entries (WEFT_READ_ONLY), even relayed by a writer', async () => {
    const admin = await rootDevice(server.url)
    const reader = await joinDevice(admin, { role: 'reader' })
    const adminConn = connect(server.url, admin)
    await (await admin.openDB('notes')).createDocument({ data: { n: 1 } })
    await pushDb(adminConn, admin, 'notes')
    const readerConn = connect(server.url, reader)
    const readerDb = await reader.openDB('notes')
    await readerDb.pullChangesFrom(new RemoteChangeStore({ connection: readerConn, db: 'notes' }))
    expect(await readerDb.getAllDocumentIds()).toHaveLength(1)

    // Whatever the reader's device signs (bypassing its own refusal), the server refuses.
    const factory = Object.assign(new EntryFactory(1), { signer: await signingKeyOf(reader) })
    const forged = envelope(factory.entry(0))
    const asReader = await new RemoteChangeStore({ connection: readerConn, db: 'notes' }).relay([forged])
    expect(asReader.rejected.map((r) => r.error.code)).toEqual([ErrorCodes.READ_ONLY])
    const viaAdmin = await new RemoteChangeStore({ connection: adminConn, db: 'notes' }).relay([forged])
    expect(viaAdmin.rejected.map((r) => r.error.code)).toEqual([ErrorCodes.READ_ONLY])
  })

  it('an append the server refuses in part reports each refusal, and the store tells its listeners only what the server added', async () => {
    const admin = await rootDevice(server.url)
    const reader = await joinDevice(admin, { role: 'reader' })
    const adminConn = connect(server.url, admin)
    const fromReader = envelope(Object.assign(new EntryFactory(1), { signer: await signingKeyOf(reader) }).entry(0))
    const fromAdmin = envelope(Object.assign(new EntryFactory(1), { signer: await signingKeyOf(admin) }).entry(0))
    const store = new RemoteChangeStore({ connection: adminConn, db: 'notes' })
    const heard: string[] = []
    store.subscribe((added) => heard.push(...added))
    const r = await store.appendMany([fromReader, fromAdmin])
    expect(r.added).toEqual([fromAdmin.hash])
    expect(r.rejected.map((x) => [x.hash, x.error.code])).toEqual([[fromReader.hash, ErrorCodes.READ_ONLY]])
    expect(heard).toEqual([fromAdmin.hash])
    // Offered again: the added one is held, the refused one refused again.
    const again = await store.appendMany([fromReader, fromAdmin])
    expect(again.existing).toEqual([fromAdmin.hash])
    expect(again.rejected.map((x) => x.error.code)).toEqual([ErrorCodes.READ_ONLY])
    expect(heard).toEqual([fromAdmin.hash])
    await store.close()
  })

  it('a writer cannot change the directory: its records, tampered and foreign records are refused and change nothing', async () => {
    const admin = await rootDevice(server.url)
    const writer = await joinDevice(admin, { role: 'writer' })
    await connect(server.url, writer).token()
    const held = (await postRecords(admin.id, [])).held
    const adminId = (await admin.members.self())!.deviceId
    const writerKey = await signingKeyOf(writer)
    // The writer removes the admin's device and makes itself an admin: signed, but not by an admin.
    const lamport = 1_000
    const byWriter = [
      createMemberRecord(
        { op: 'remove-device', device: adminId, hashes: [] },
        { tenant: admin.id, lamport, nonce: randomBytes(16) },
        writerKey,
      ),
      createMemberRecord(
        { op: 'set-role', userId: (await writer.members.self())!.userId, role: 'admin', hashes: [] },
        { tenant: admin.id, lamport, nonce: randomBytes(16) },
        writerKey,
      ),
    ]
    for (const r of byWriter)
      await expect(postRecords(admin.id, [r])).rejects.toMatchObject({ code: ErrorCodes.MEMBER_RECORD_REFUSED })
    // A genuine record changed after signing, and one made for another tenant.
    const genuine = (await admin.members.membershipRecords())[1]!
    const tampered = genuine.slice(0, 10) + (genuine[10] === 'A' ? 'B' : 'A') + genuine.slice(11)
    await expect(postRecords(admin.id, [tampered])).rejects.toMatchObject({ code: ErrorCodes.MEMBER_RECORD_REFUSED })
    const other = await rootDevice(server.url)
    await joinDevice(other)
    const foreign = (await other.members.membershipRecords())[1]!
    await expect(postRecords(admin.id, [foreign])).rejects.toMatchObject({ code: ErrorCodes.MEMBER_RECORD_REFUSED })
    // A replay of what the server holds adds nothing.
    expect(await postRecords(admin.id, await admin.members.membershipRecords())).toMatchObject({ added: 0, held })
    // Nothing changed: the admin still signs in, the writer is still a writer (its pushes count).
    await expect(connect(server.url, admin).token()).resolves.toBeTypeOf('string')
    await (await writer.openDB('notes')).createDocument({ data: { still: 'writing' } })
    expect((await pushDb(connect(server.url, writer), writer, 'notes')).rejected).toEqual([])
  })
})
