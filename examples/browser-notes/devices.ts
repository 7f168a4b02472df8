/**
 * The Devices panel of an open notebook: the devices of the directory with when each last wrote,
 * this device's sync status and last sync, and "Add a device": a join string to copy to the new
 * device, then its request pasted back, approved, and the answer to copy over.
 */
import type { Database, Tenant } from '@weft/core'
import { toBase64Url } from '@weft/core/backend'
import { IdbStoreFactory } from '@weft/store-idb'
import { announce, followHere, presenceOf } from './here.ts'
import { LastSeen } from './lastSeen.ts'
import { registerNotebook, inviteToString, NotebookSync, relayUrl, SYNC_KEY, type NotebookSyncState } from './relay.ts'

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T

/** Longest wait between two tries to link a lone notebook to the relay. */
const LINK_RETRY_MAX_MS = 30_000

/**
 * Shows the panel for `tenant` and syncs it with the page's relay, one device or many: a lone
 * notebook is registered on the relay and pushes its notes there (so a device that joins later,
 * or this one after a reinstall, finds them). Offline, or while the relay cannot be reached, it
 * tries again when the browser is back online and with growing pauses. Returns a function that
 * stops syncing (to start over).
 */
export async function showDevices(
  tenant: Tenant,
  notes: Database,
  storage: IdbStoreFactory,
): Promise<() => Promise<void>> {
  const lastSeen = await LastSeen.follow(notes, () => void renderList())
  const self = toBase64Url(tenant.signingKey)
  let sync: NotebookSync | undefined
  /** Device id → how the page names it. */
  const labels = new Map<string, string>()
  const online = () => sync !== undefined && sync.peek().state !== 'offline' && sync.peek().state !== 'error'
  const here = followHere(notes, (id) => labels.get(id) ?? 'a device not in the list yet', online)
  // This device has the notebook open: the others see it once linked, and at once when it goes.
  announce(notes, null)
  addEventListener('pagehide', () => presenceOf(notes).leave())

  let retry: ReturnType<typeof setTimeout> | undefined
  let retryMs = 1_000
  let stopped = false

  /** Registers the notebook on the relay (once, from its first device) and starts syncing with it. */
  async function link(relay: string): Promise<void> {
    if (!localStorage.getItem(SYNC_KEY)) await registerNotebook(relay, tenant)
    await startSync(relay)
  }

  /** Links to the page's relay, trying again later when that fails (offline, relay down). */
  function linkSoon(): void {
    clearTimeout(retry)
    const relay = localStorage.getItem(SYNC_KEY) ?? relayUrl()
    if (stopped || sync || !relay || !navigator.onLine) return // offline: the `online` event calls again
    link(relay).then(
      () => void (retryMs = 1_000),
      () => {
        retry = setTimeout(linkSoon, retryMs)
        retryMs = Math.min(retryMs * 2, LINK_RETRY_MAX_MS)
      },
    )
  }

  /** Starts syncing once, however many callers ask at the same time. */
  let starting: Promise<void> | undefined
  function startSync(relay: string): Promise<void> {
    starting ??= begin(relay).catch((err: unknown) => {
      starting = undefined
      throw err
    })
    return starting
  }

  async function begin(relay: string): Promise<void> {
    localStorage.setItem(SYNC_KEY, relay)
    const started = await NotebookSync.start(tenant, relay, storage)
    if (stopped) return started.close() // started over meanwhile
    sync = started
    sync.subscribe((s) => {
      renderStatus(s)
      here.render()
      void renderList()
    })
    notes.on('docs-changed', (e) => e.source === 'received' && sync?.received())
    renderStatus(sync.peek())
  }

  async function renderList(): Promise<void> {
    const users = await tenant.members.list()
    const rows = users.flatMap((u) =>
      u.devices
        .filter((d) => !d.removed)
        .map((d) => ({ name: u.name || 'this notebook’s creator', role: u.role, ...d })),
    )
    for (const d of rows) labels.set(d.deviceId, `${d.name} (${d.role})`)
    if (rows.length === 0) rows.push({ name: 'this device', role: 'admin', deviceId: self, removed: false, self: true })
    $('device-list').replaceChildren(
      ...rows.map((d) => {
        const item = document.createElement('li')
        item.dataset.deviceId = d.deviceId
        item.dataset.self = String(d.deviceId === self)
        const at = lastSeen.at(d.deviceId)
        const present = d.deviceId !== self && here.present(d.deviceId)
        item.dataset.here = String(present)
        const status = d.deviceId === self ? ` — this device, ${describe(sync?.peek())}` : present ? ' — here now' : ''
        const seen = at ? `last change ${new Date(at).toLocaleTimeString()}` : 'no change seen yet'
        item.textContent = `${d.name} (${d.role})${status} — ${seen}`
        return item
      }),
    )
  }

  function renderStatus(s: NotebookSyncState): void {
    const status = $('sync-status')
    status.dataset.state = s.state
    status.dataset.view = view(s)
    status.dataset.pending = String(s.pending)
    status.textContent = `Sync: ${describe(s)}`
    const last = $('last-sync')
    if (s.lastSync) last.dataset.at = String(s.lastSync)
    last.textContent = s.lastSync ? new Date(s.lastSync).toLocaleTimeString() : 'never'
  }

  $('add-device').addEventListener('click', () => {
    void run(async () => {
      const relay = sync?.relay ?? relayUrl()
      if (!relay) throw new Error('this page has no relay configured (add ?relay=<url> to its address)')
      await link(relay) // a linked notebook (offline now, say) needs nothing more
      $<HTMLTextAreaElement>('invite-text').value = inviteToString({ tenantId: tenant.id, relay })
      $('add-flow').hidden = false
    })
  })

  $('approve').addEventListener('submit', (event) => {
    event.preventDefault()
    void run(async () => {
      const text = $<HTMLTextAreaElement>('request').value.trim()
      const response = await tenant.approveJoinRequest(text, { role: 'writer' })
      $<HTMLTextAreaElement>('response-text').value = JSON.stringify(response)
      $('response-step').hidden = false
      await renderList()
    })
  })

  presenceOf(notes).subscribe(() => void renderList())
  $('devices').hidden = false
  const relay = localStorage.getItem(SYNC_KEY)
  if (relay) await startSync(relay)
  else linkSoon() // a lone notebook syncs too, once the relay answers
  addEventListener('online', linkSoon)
  await renderList()
  here.render()
  return async () => {
    stopped = true
    clearTimeout(retry)
    removeEventListener('online', linkSoon)
    await sync?.close()
    sync = undefined
  }
}

/** The four states a person sees: offline, syncing, pending (linked, changes still to send), up to date. */
function view(s: NotebookSyncState): 'offline' | 'syncing' | 'pending' | 'up-to-date' | 'error' {
  if (s.state === 'up-to-date' && s.pending > 0) return 'pending'
  return s.state
}

function describe(s: NotebookSyncState | undefined): string {
  if (!s) return relayUrl() ? 'not linked to the relay yet' : 'not syncing (this page has no relay)'
  const changes = (n: number) => `${n} ${n === 1 ? 'change' : 'changes'}`
  const refused = s.refused ? `; ${changes(s.refused)} refused by the relay (kept here, offered again)` : ''
  switch (view(s)) {
    case 'up-to-date':
      return `online, up to date${refused}`
    case 'pending':
      return `online, pending: ${changes(s.pending)} to send${refused}`
    case 'syncing':
      return `online, syncing${s.pending ? `: ${changes(s.pending)} to send` : ''}${refused}`
    case 'offline':
      return `${s.pending ? `offline, ${changes(s.pending)} waiting` : 'offline, nothing waiting'}${refused}`
    case 'error':
      return 'stopped: the relay refused this device'
  }
}

async function run(work: () => Promise<void>): Promise<void> {
  const error = $('devices-error')
  error.textContent = ''
  try {
    await work()
  } catch (err) {
    error.textContent = String(err instanceof Error ? err.message : err)
  }
}
