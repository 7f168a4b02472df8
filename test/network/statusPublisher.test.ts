import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  MemoryStoreFactory,
  MultiTenantSyncOrchestrator,
  TenantFactory,
  TEST_KDF,
  type Database,
  type Tenant,
} from '@weft/core'
import { fromBase64Url, ready, verifyAuditTrailPart } from '@weft/core/backend'
import {
  parseStatusReport,
  registerMembers,
  RemoteChangeStore,
  ServerConnection,
  StatusPublisher,
  type StatusReport,
} from '@weft/client'
import { WeftServer } from '@weft/server'

// A host publishes its status to a real server; a second device of the tenant reads it back from
// the server (ciphertext only there) and checks what the console checks.

let server: WeftServer
let storage: MemoryStoreFactory
let acme: Tenant
let reader: Tenant
let orders: Database
let orchestrator: MultiTenantSyncOrchestrator
let publisher: StatusPublisher
let connection: ServerConnection

beforeAll(async () => {
  await ready()
  server = await WeftServer.start()
  storage = new MemoryStoreFactory()
  const factory = new TenantFactory({ storeFactory: storage, kdf: TEST_KDF })
  acme = await factory.createTenant({ tenantId: 'acme-status', password: 'pw' })
  await registerMembers({ url: server.url, tenant: acme.id, admin: acme.serverSigner() })
  connection = new ServerConnection({ url: server.url, tenant: acme.id, key: acme.serverSigner() })
  const other = new TenantFactory({ kdf: TEST_KDF })
  const request = await other.createJoinRequest({ tenantId: acme.id, userName: 'Reader', password: 'pw' })
  reader = await other.joinTenant(request, await acme.approveJoinRequest(request, { role: 'admin' }), {
    password: 'pw',
  })
  await (await acme.openDB('_directory')).pushChangesTo(new RemoteChangeStore({ connection, db: '_directory' }))

  const globex = await new TenantFactory({ kdf: TEST_KDF }).createTenant({ tenantId: 'globex-status', password: 'g' })
  await acme.keyBag.generateKey('orders-key')
  orders = await acme.openDB('orders', { keyId: 'orders-key' })
  const offer = await acme.sharing.share({
    partner: globex.publicProfile(),
    databases: ['orders'],
    keys: ['orders-key'],
    permissions: ['read'],
  })
  await globex.sharing.accept(offer)
  orchestrator = new MultiTenantSyncOrchestrator()
  await orchestrator.addRelationship('to-globex', acme, globex, ['orders'], {
    direction: 'push',
    grantId: offer.grant.id,
  })
  publisher = new StatusPublisher({
    tenant: acme,
    orchestrator,
    remote: new RemoteChangeStore({ connection, db: '_status' }),
    host: 'worker-1',
    auditRecords: 1,
  })
})
afterAll(() => server.close())

/** The report as the second device reads it from the server. */
async function fromServer(): Promise<StatusReport> {
  const db = await reader.openDB('_status')
  const readerConnection = new ServerConnection({ url: server.url, tenant: acme.id, key: reader.serverSigner() })
  await db.pullChangesFrom(new RemoteChangeStore({ connection: readerConnection, db: '_status' }))
  const ids = await db.getAllDocumentIds()
  expect(ids).toHaveLength(1)
  return parseStatusReport(JSON.parse(JSON.stringify((await db.getDocument(ids[0]!))!.getData())))
}

function auditOf(r: StatusReport) {
  const a = r.audit!
  return verifyAuditTrailPart(
    a.records.map((x) => ({ position: x.position, bytes: fromBase64Url(x.bytes) })),
    a.head === null ? undefined : fromBase64Url(a.head),
    { tenant: a.tenant, signingKey: fromBase64Url(a.signingKey) },
    a.start,
  ).verification
}

describe('StatusPublisher', () => {
  it('publishes lag, rounds, grants and the newest audit records, encrypted; a reading device verifies the trail', async () => {
    await publisher.publish() // before any round: the lag is not known yet
    let report = await fromServer()
    expect(report.relationships[0]!.databases[0]).toMatchObject({ db: 'orders', behindPush: null, behindPull: null })
    for (let i = 0; i < 4; i++) await orders.createDocument({ data: { i } })
    await orchestrator.syncAll()
    for (let i = 0; i < 7; i++) await orders.createDocument({ data: { late: i } })
    await publisher.publish()
    report = await fromServer()
    expect(report).toMatchObject({ host: 'worker-1', databases: ['orders'] })
    expect(report.relationships[0]).toMatchObject({ id: 'to-globex', partnerTenant: 'globex-status', lastError: null })
    expect(report.relationships[0]!.databases[0]).toMatchObject({ sent: 4, behindPush: 7, behindPull: null })
    expect(report.grants).toEqual([
      expect.objectContaining({ role: 'issued', status: 'active', partner: 'globex-status' }),
    ])
    // The newest record only (auditRecords: 1), verified from itself.
    const trail = await acme.audit.query()
    expect(trail.length).toBeGreaterThan(1)
    expect(report.audit!.records.map((r) => r.position)).toEqual([trail.length - 1])
    expect(auditOf(report)).toMatchObject({ ok: true, records: trail.length })
    // The server holds no plaintext of it.
    const raw = await new RemoteChangeStore({ connection, db: '_status' }).getChanges(
      await new RemoteChangeStore({ connection, db: '_status' }).getAllChangeHashes(),
    )
    for (const e of raw) expect(Buffer.from(e.bytes).includes(Buffer.from('to-globex'))).toBe(false)
  })

  it('an unchanged host writes one small entry (its time); an altered audit record is republished as stored and fails to verify', async () => {
    const status = await acme.openDB('_status')
    const before = await status.getStore().getAllChangeHashes()
    const first = Math.max(...(await status.getStore().getChanges(before)).map((e) => e.bytes.length)) // the whole report, created
    await publisher.publish()
    const fresh = (await status.getStore().getAllChangeHashes()).filter((h) => !before.includes(h))
    expect(fresh.length).toBeLessThanOrEqual(1) // its time only, when the clock moved
    for (const e of await status.getStore().getChanges(fresh)) expect(e.bytes.length).toBeLessThan(first / 2)
    const kv = await storage.openKeyValueStore('weft-audit')
    const keys = await kv.keys(`${acme.id}/r/`)
    const last = keys.at(-1)!
    const bytes = new Uint8Array((await kv.get(last))!)
    bytes[bytes.length - 5]! ^= 1
    await kv.put(last, bytes)
    await publisher.publish()
    const v = auditOf(await fromServer())
    expect(v).toMatchObject({ ok: false, problem: 'altered', seq: keys.length - 1 })
    if (!v.ok) expect(v.error.code).toBe('WEFT_AUDIT_TAMPERED')
  })

  it('refuses a document that is not a report, with a code', () => {
    expect(() => parseStatusReport({ kind: 'other' })).toThrow(
      expect.objectContaining({ code: 'WEFT_INVALID_ARGUMENT' }),
    )
    expect(() =>
      parseStatusReport({
        kind: 'weft-status-report',
        v: 1,
        host: 'h',
        publishedAt: 1,
        databases: 'x',
        relationships: [],
        grants: [],
      }),
    ).toThrow(expect.objectContaining({ code: 'WEFT_INVALID_ARGUMENT' }))
  })
})
