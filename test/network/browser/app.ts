/** The browser side of the browser test: one device of a tenant, live-synced through the server. */
import { MemoryStoreFactory, ready, TenantFactory, TEST_KDF, type Database } from '@weft/core'
import { fromBase64Url } from '@weft/core/backend'
import { LiveSync, RemoteChangeStore, ServerConnection, type SyncStatus } from '@weft/client'

interface Setup {
  url: string
  tenantId: string
  password: string
  /** The sealed tenant record, base64url, as the first device stored it. */
  record: string
  publicKey: string
  privateKey: string
}

let db: Database
let live: LiveSync
const states: SyncStatus['state'][] = []

async function start(s: Setup): Promise<void> {
  await ready()
  const storeFactory = new MemoryStoreFactory()
  await (await storeFactory.openKeyValueStore('weft-tenants')).put(`tenant/${s.tenantId}`, fromBase64Url(s.record))
  const tenant = await new TenantFactory({ storeFactory, kdf: TEST_KDF }).openTenant(s.tenantId, {
    password: s.password,
  })
  db = await tenant.openDB('notes')
  const connection = new ServerConnection({
    url: s.url,
    tenant: s.tenantId,
    key: { publicKey: fromBase64Url(s.publicKey), privateKey: fromBase64Url(s.privateKey) },
  })
  live = new LiveSync({
    local: db,
    remote: new RemoteChangeStore({ connection, db: 'notes' }),
    backoff: { initialMs: 50, maxMs: 500 },
  })
  live.subscribe((st) => states.push(st.state))
  live.start()
  await live.whenReady()
}

async function write(data: Record<string, unknown>): Promise<string> {
  return (await db.createDocument({ data })).getId()
}

async function contents(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {}
  for (const id of (await db.getAllDocumentIds()).sort())
    out[id] = JSON.parse(JSON.stringify((await db.getDocument(id))!.getData()))
  return out
}

Object.assign(globalThis, { weft: { start, write, contents, states: () => states, status: () => live.peek() } })
