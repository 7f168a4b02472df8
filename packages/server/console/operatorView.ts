/**
 * The operator's view: with an admin API key (`admin:tenants`), the server's tenants, their usage
 * against their quotas and their live connections, from the admin API, and a chosen tenant's
 * members. These are the server's own
 * counters: the server holds no key, so nothing here is decrypted. The key stays in this page's
 * memory, never in storage.
 */
import { bytes, el, message, row, table, use } from './dom.ts'
import { membersSection } from './operatorMembers.ts'

interface Use {
  readonly used: number
  readonly limit: number | null
}
interface Stats {
  readonly tenant: string
  readonly status: string
  readonly entries: number
  readonly bytes: number
  readonly databases: number
  readonly devices: number
  readonly liveConnections: number
  readonly requests?: { readonly total?: number; readonly refused?: number }
  readonly quota: { readonly bytes: Use; readonly entries: Use; readonly databases: Use; readonly keys: Use }
}

const REFRESH_MS = 5_000

/** Calls the admin API with the key; a refusal throws its `{ code, message }`. */
async function api<T>(key: string, path: string): Promise<T> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${key}` }, cache: 'no-store' })
  const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string }
  if (!res.ok) throw Object.assign(new Error(body.message ?? `HTTP ${res.status}`), { code: body.code })
  return body as T
}

/** Shows the operator's view in `root` until `signal` aborts. */
export async function showOperator(root: HTMLElement, key: string, signal: AbortSignal): Promise<void> {
  const live = el('p', { role: 'status', 'data-testid': 'operator-live' }, 'Loading…')
  const holder = el('div', {})
  const error = el('p', { class: 'error', role: 'alert' })
  const members = el('div', {})
  root.replaceChildren(
    el('section', { 'aria-labelledby': 'tenants-h' }, el('h2', { id: 'tenants-h' }, 'Tenants'), live, error, holder),
    members,
  )
  /** The tenant whose members are shown, kept across refreshes. */
  let chosen: string | undefined
  const showMembers = async (focus: boolean) => {
    if (chosen === undefined) return
    members.replaceChildren(await membersSection(chosen, (path) => api(key, path)))
    if (focus) members.querySelector<HTMLElement>('h2')?.focus()
  }
  const refresh = async () => {
    const [health, list] = await Promise.all([
      api<{ liveConnections: number }>(key, '/v1/health'),
      api<{ tenants: { id: string; name: string; status: string }[] }>(key, '/v1/admin/tenants?limit=1000'),
    ])
    const stats = await Promise.all(
      list.tenants.map((t) => api<Stats>(key, `/v1/tenants/${encodeURIComponent(t.id)}/stats`)),
    )
    live.textContent = `${list.tenants.length} tenants, ${health.liveConnections} live connections on this server.`
    const rows = list.tenants.map((t, i) => {
      const s = stats[i]!
      return row(
        [
          el('code', {}, t.id),
          t.name,
          s.status,
          use(s.quota.entries.used, s.quota.entries.limit),
          use(s.quota.bytes.used, s.quota.bytes.limit, bytes),
          use(s.quota.databases.used, s.quota.databases.limit),
          use(s.quota.keys.used, s.quota.keys.limit),
          s.liveConnections,
          el(
            'button',
            {
              type: 'button',
              class: 'secondary',
              'aria-label': `Members of ${t.id}`,
              onclick: () => {
                chosen = t.id
                showMembers(true).catch(
                  (err: unknown) => (error.textContent = `Could not read the members: ${message(err)}`),
                )
              },
            },
            'Members',
          ),
        ],
        { 'data-tenant': t.id },
      )
    })
    const head = [
      'Tenant',
      'Name',
      'Status',
      'Entries',
      'Bytes',
      'Databases',
      'Device keys',
      'Live connections',
      'Members',
    ]
    holder.replaceChildren(table('Tenants, their usage against quotas, and live connections', head, rows, 'tenants'))
    // A tenant deleted meanwhile: its members go, the tenants stay.
    await showMembers(false).catch((err: unknown) => {
      chosen = undefined
      members.replaceChildren(el('p', { class: 'error', role: 'alert' }, `Could not read the members: ${message(err)}`))
    })
  }
  for (;;) {
    try {
      await refresh()
      error.textContent = ''
    } catch (err) {
      error.textContent = `Could not read the tenants: ${message(err)}`
      if (
        (err as { code?: string }).code === 'WEFT_UNAUTHORIZED' ||
        (err as { code?: string }).code === 'WEFT_FORBIDDEN'
      )
        return
    }
    const stopped = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), REFRESH_MS)
      signal.addEventListener('abort', () => (clearTimeout(t), resolve(true)), { once: true })
    })
    if (stopped || signal.aborted) return
  }
}
