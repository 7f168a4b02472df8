/**
 * One device of a tenant in a process of its own, for the multi-process tests: a LevelDB folder
 * (`WEFT_DIR`), driven by JSON commands on stdin, one per line (`{ id, cmd, ...args }`), answering
 * one JSON line each on stdout (`{ id, ok, value }` or `{ id, ok: false, error: { code, message } }`).
 * `WEFT_REMOTE=1` keeps its databases on the server instead: the device joins with the folder
 * (whose record store keeps its tenant record), then opens the tenant over a `RemoteStoreFactory`
 * whose `local` is the same folder, signing in with its own device key.
 */
import { createInterface } from 'node:readline'
import { asDocId, joinRequestToString, TenantFactory, TEST_KDF, type Database, type Tenant } from '@weft/core'
import { ready, toBase64Url } from '@weft/core/backend'
import { LiveSync, RemoteChangeStore, RemoteStoreFactory, ServerConnection } from '@weft/client'
import { LevelStoreFactory } from '@weft/store-level'
import { WebSocket } from 'ws'
import { admitDevices } from './admitDevices.ts'

await ready()
const { WEFT_DIR: dir, WEFT_URL: url, WEFT_REMOTE: remoteMode } = process.env
const level = new LevelStoreFactory({ path: dir! })
/** The device's tenant as created or joined, over the folder. */
let tenant: Tenant | undefined
let password: string | undefined
/** The tenant whose databases the commands use: `tenant`, or in remote mode the same device over the server. */
let view: Tenant | undefined
let remote: RemoteStoreFactory | undefined
const backoff = { initialMs: 50, maxMs: 500 }
const factory = new TenantFactory({ storeFactory: level, kdf: TEST_KDF })
const syncs = new Map<string, LiveSync>()

const self = (): Tenant => {
  if (!tenant) throw new Error('no tenant yet')
  return tenant
}

async function viewOf(): Promise<Tenant> {
  if (view) return view
  const t = self()
  if (remoteMode !== '1') return (view = t)
  remote = new RemoteStoreFactory({
    url: url!,
    keys: () => t.serverSigner(),
    local: level,
    webSocket: WebSocket,
    backoff,
  })
  view = await new TenantFactory({ storeFactory: remote, kdf: TEST_KDF }).openTenant(t.id, { password: password! })
  return view
}

const db = async (name: string): Promise<Database> => (await viewOf()).openDB(name)

async function contents(name: string): Promise<Record<string, unknown>> {
  const d = await db(name)
  const out: Record<string, unknown> = {}
  for (const id of (await d.getAllDocumentIds()).sort()) out[id] = (await d.getDocument(id))!.getData()
  return JSON.parse(JSON.stringify(out)) as Record<string, unknown>
}

type Args = Record<string, unknown>
const commands: Record<string, (a: Args) => Promise<unknown>> = {
  async create(a) {
    password = a.password as string
    tenant = await factory.createTenant({ tenantId: a.tenantId as string, password })
    return { deviceId: toBase64Url(tenant.signingKey) }
  },
  async request(a) {
    const request = await factory.createJoinRequest({
      tenantId: a.tenantId as string,
      userName: a.userName as string,
      password: a.password as string,
    })
    return { request: joinRequestToString(request), deviceId: request.signingKey }
  },
  async approve(a) {
    const response = await self().approveJoinRequest(a.request, { role: a.role as 'writer' })
    return { response: JSON.stringify(response) }
  },
  async join(a) {
    password = a.password as string
    tenant = await factory.joinTenant(a.request, JSON.parse(a.response as string), { password })
    return { deviceId: toBase64Url(tenant.signingKey) }
  },
  async admit(a) {
    await admitDevices({
      url: url!,
      tenantId: self().id,
      admin: self().serverSigner(),
      deviceIds: a.deviceIds as string[],
    })
    return null
  },
  /** Starts live sync of each named database with the server (the directory first). */
  async online(a) {
    for (const name of a.dbs as string[]) {
      let live = syncs.get(name)
      if (!live) {
        const connection = new ServerConnection({ url: url!, tenant: self().id, key: self().serverSigner() })
        const remote = new RemoteChangeStore({ connection, db: name })
        live = new LiveSync({ local: await db(name), remote, webSocket: WebSocket, backoff })
        syncs.set(name, live)
      }
      live.start()
    }
    return null
  },
  async offline() {
    for (const live of syncs.values()) await live.stop()
    return null
  },
  async whenReady() {
    for (const live of syncs.values()) await live.whenReady({ signal: AbortSignal.timeout(20_000) })
    return null
  },
  async status() {
    return Object.fromEntries([...syncs].map(([name, live]) => [name, live.peek().state]))
  },
  async createDoc(a) {
    return (await (await db(a.db as string)).createDocument({ data: a.data as Record<string, unknown> })).getId()
  },
  async set(a) {
    const d = await db(a.db as string)
    await d.changeDoc(asDocId(a.docId as string), (doc) => void Object.assign(doc.getData(), a.fields))
    return null
  },
  async contents(a) {
    return contents(a.db as string)
  },
  /** Opens a database (to follow it), and says how its store follows the server. */
  async open(a) {
    const store = (await db(a.db as string)).getStore()
    return store instanceof RemoteChangeStore ? store.liveState().state : 'local'
  },
  async exit() {
    for (const live of syncs.values()) await live.close()
    if (view !== tenant) await view?.close()
    await tenant?.close()
    await remote?.close()
    await level.close()
    setImmediate(() => process.exit(0))
    return null
  },
}

for await (const line of createInterface({ input: process.stdin })) {
  const { id, cmd, ...args } = JSON.parse(line) as { id: number; cmd: string } & Args
  try {
    const run = commands[cmd]
    if (!run) throw new Error(`unknown command ${cmd}`)
    console.log(JSON.stringify({ id, ok: true, value: (await run(args)) ?? null }))
  } catch (err) {
    const e = err as { code?: string; message?: string }
    console.log(
      JSON.stringify({ id, ok: false, error: { code: e.code ?? 'ERROR', message: e.message ?? String(err) } }),
    )
  }
}
