/**
 * The notebook's link to a relay server: which relay (the page's `weft-relay` meta tag, or
 * `?relay=` in its address), the invitation a device hands a new one, and the live sync of the
 * notebook's databases (the directory first) with their status.
 */
import { isWeftError, ErrorCodes, type Tenant } from '@weft/core'
import { LiveSync, registerMembers, RemoteChangeStore, ServerConnection, type SyncStatus } from '@weft/client'
import { IdbStoreFactory } from '@weft/store-idb'

/** The databases a device syncs: the directory (who may write) before the notes. */
const DATABASES = ['_directory', 'notes'] as const
const INVITE = 'weft://invite/'

/** Remembers that this browser's notebook syncs with a relay, so a reload starts syncing again. */
export const SYNC_KEY = 'weft-browser-notes:relay'

/** The relay this page syncs through, or undefined when it has none configured. */
export function relayUrl(): string | undefined {
  const fromAddress = new URLSearchParams(location.search).get('relay')
  const fromPage = document.querySelector<HTMLMetaElement>('meta[name="weft-relay"]')?.content
  return fromAddress || fromPage || undefined
}

/** What a new device needs to ask to join: the tenant and the relay. */
export interface Invite {
  readonly tenantId: string
  readonly relay: string
}

export function inviteToString(invite: Invite): string {
  return INVITE + btoa(JSON.stringify(invite)).replace(/=+$/, '')
}

/** The invitation in `text`; throws when it is not one. */
export function parseInvite(text: string): Invite {
  const t = text.trim()
  if (!t.startsWith(INVITE) || t.length > 2_000) throw new Error('this is not a join string from this notebook')
  const v = JSON.parse(atob(t.slice(INVITE.length))) as Partial<Invite>
  if (typeof v.tenantId !== 'string' || typeof v.relay !== 'string' || !/^https?:\/\//.test(v.relay))
    throw new Error('this join string is damaged')
  return { tenantId: v.tenantId, relay: v.relay }
}

/**
 * Registers the notebook on the relay, once, from the device that created it: from then on the
 * relay admits every device of the notebook's signed directory when it connects (a joined device
 * needs no step of its own). A notebook already registered, by this device or its first one, is
 * left as it is.
 */
export async function registerNotebook(relay: string, tenant: Tenant): Promise<void> {
  try {
    await registerMembers({ url: relay, tenant: tenant.id, admin: tenant.serverSigner() })
  } catch (err) {
    if (!isWeftError(err, ErrorCodes.FORBIDDEN)) throw err // FORBIDDEN: registered by the first device
  }
}

/** Where the whole notebook's sync stands, for the page. */
export interface NotebookSyncState {
  /** The least advanced state of the databases' syncs. */
  readonly state: SyncStatus['state']
  /** Local changes the relay does not have yet. */
  readonly pending: number
  /** Local changes the relay refused (over its quota, say): kept here, offered again. */
  readonly refused: number
  /** When every database was last up to date with the relay (ms since the epoch), or undefined. */
  readonly lastSync: number | undefined
}

/** Live sync of the notebook's databases with a relay; stops while the browser is offline. */
export class NotebookSync {
  readonly relay: string
  readonly #syncs: LiveSync[] = []
  readonly #listeners = new Set<(s: NotebookSyncState) => void>()
  #lastSync: number | undefined
  #closed = false

  private constructor(relay: string) {
    this.relay = relay
  }

  /** Starts syncing `tenant`'s databases with `relay` (IndexedDB keeps the cursors, so a reload resumes). */
  static async start(tenant: Tenant, relay: string, storage: IdbStoreFactory): Promise<NotebookSync> {
    const sync = new NotebookSync(relay)
    const connection = new ServerConnection({ url: relay, tenant: tenant.id, key: tenant.serverSigner() })
    const cursors = await storage.openKeyValueStore('weft-sync-cursors')
    for (const name of DATABASES) {
      const db = await tenant.openDB(name)
      const live = new LiveSync({
        local: db,
        remote: new RemoteChangeStore({ connection, db: name }),
        cursors,
        backoff: { initialMs: 250, maxMs: 10_000 },
        // "Who is here" travels with the notes' live sync: signed and encrypted, never stored.
        ...(name === 'notes' ? { presence: db.presence } : {}),
      })
      live.subscribe(() => sync.#changed())
      sync.#syncs.push(live)
    }
    addEventListener('offline', () => void sync.#stop())
    addEventListener('online', () => sync.#start())
    if (navigator.onLine) sync.#start()
    else sync.#changed()
    return sync
  }

  peek(): NotebookSyncState {
    const states = this.#syncs.map((s) => s.peek())
    const order: SyncStatus['state'][] = ['error', 'offline', 'syncing', 'up-to-date']
    const state = order.find((o) => states.some((s) => s.state === o)) ?? 'offline'
    const pending = states.reduce((n, s) => n + ('pending' in s ? s.pending : 0), 0)
    const refused = states.reduce((n, s) => n + ('refused' in s && s.refused ? s.refused.count : 0), 0)
    return { state, pending, refused, lastSync: this.#lastSync }
  }

  subscribe(listener: (s: NotebookSyncState) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Notes that something arrived from the relay while linked: the last sync is now. */
  received(): void {
    if (this.peek().state === 'up-to-date') this.#changed()
  }

  /** Stops syncing for good (the notebook is being erased from this browser). */
  async close(): Promise<void> {
    this.#closed = true
    await Promise.all(this.#syncs.map((s) => s.close()))
  }

  #start(): void {
    if (this.#closed) return
    for (const s of this.#syncs) s.start()
  }

  async #stop(): Promise<void> {
    await Promise.all(this.#syncs.map((s) => s.stop()))
  }

  #changed(): void {
    const now = this.peek()
    if (now.state === 'up-to-date' && now.pending === 0) this.#lastSync = Date.now()
    const s = this.peek()
    for (const l of [...this.#listeners]) l(s)
  }
}
