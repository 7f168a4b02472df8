/**
 * The commands of one test device (see deviceMain.ts for a Node process, browser/deviceApp.ts for
 * a Chromium page): create or join a tenant, admit devices, go online and offline with LiveSync,
 * write and read documents. One implementation for both, so the two kinds of test drive the same
 * device.
 */
import {
  asDocId,
  joinRequestToString,
  TenantFactory,
  TEST_KDF,
  type Database,
  type StoreFactory,
  type Tenant,
} from '@weft/core'
import { toBase64Url } from '@weft/core/backend'
import {
  LiveSync,
  RemoteChangeStore,
  RemoteStoreFactory,
  ServerConnection,
  type WebSocketConstructor,
} from '@weft/client'
import { admitDevices } from './admitDevices.ts'

/** What a device runs on. */
export interface DeviceOptions {
  /** Its own storage: a LevelDB folder, an IndexedDB database. */
  readonly storage: StoreFactory
  /** The relay server. */
  readonly url: string
  /** Default: the global WebSocket. */
  readonly webSocket?: WebSocketConstructor
  /**
   * Keep the databases on the server: the device joins with `storage` (whose record store keeps its
   * tenant record), then opens the tenant over a `RemoteStoreFactory` whose `local` is `storage`.
   */
  readonly remote?: boolean
}

export type DeviceCommands = Record<string, (args: Record<string, unknown>) => Promise<unknown>>

/** The commands of a device over `options.storage`. */
export function deviceCommands(options: DeviceOptions): DeviceCommands {
  const { storage, url, remote: remoteMode } = options
  const webSocket = options.webSocket ? { webSocket: options.webSocket } : {}
  /** The device's tenant as created or joined, over its storage. */
  let tenant: Tenant | undefined
  let password: string | undefined
  /** The tenant whose databases the commands use: `tenant`, or in remote mode the same device over the server. */
  let view: Tenant | undefined
  let remote: RemoteStoreFactory | undefined
  const backoff = { initialMs: 50, maxMs: 500 }
  const factory = new TenantFactory({ storeFactory: storage, kdf: TEST_KDF })
  const syncs = new Map<string, LiveSync>()

  const self = (): Tenant => {
    if (!tenant) throw new Error('no tenant yet')
    return tenant
  }

  async function viewOf(): Promise<Tenant> {
    if (view) return view
    const t = self()
    if (!remoteMode) return (view = t)
    remote = new RemoteStoreFactory({
      url,
      keys: () => t.serverSigner(),
      local: storage,
      ...webSocket,
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

  return {
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
        url,
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
          const connection = new ServerConnection({ url, tenant: self().id, key: self().serverSigner() })
          const remote = new RemoteChangeStore({ connection, db: name })
          live = new LiveSync({ local: await db(name), remote, ...webSocket, backoff })
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
      await storage.close()
      return null
    },
  }
}
