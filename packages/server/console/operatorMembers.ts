/**
 * A tenant's members in the operator's view: its device keys from
 * `GET /v1/admin/tenants/:id/members` (the signed plaintext directory and registrations the server
 * holds), with status, role, user, when the server admitted each and its last sign-in, and the
 * sockets it has open. Nothing here is decrypted: the server holds no key.
 */
import { badge, el, row, table, when } from './dom.ts'

interface Member {
  readonly key: string
  readonly userId: string | null
  readonly role: string | null
  readonly status: 'active' | 'removed' | 'expired'
  readonly admittedAt: number | null
  readonly lastSignInAt: number | null
  readonly sockets: number
}

/** Most members shown: the first page of the listing. */
const SHOWN = 1_000

/** The members section for `tenant`, read with `get` (the admin API call of the operator's view). */
export async function membersSection(tenant: string, get: <T>(path: string) => Promise<T>): Promise<HTMLElement> {
  const page = await get<{ members: Member[]; next?: string }>(
    `/v1/admin/tenants/${encodeURIComponent(tenant)}/members?limit=${SHOWN}`,
  )
  const rows = page.members.map((m) =>
    row(
      [
        el('code', {}, m.key),
        m.status === 'active' ? badge('active', 'ok') : badge(m.status, m.status === 'removed' ? 'bad' : 'warn'),
        m.role ?? '—',
        m.userId === null ? '—' : el('code', {}, m.userId),
        when(m.admittedAt),
        when(m.lastSignInAt),
        m.sockets,
      ],
      { 'data-key': m.key },
    ),
  )
  const head = ['Device key', 'Status', 'Role', 'User', 'Admitted', 'Last sign-in', 'Sockets']
  return el(
    'section',
    { 'aria-labelledby': 'members-h' },
    el('h2', { id: 'members-h', tabindex: -1 }, `Members of ${tenant}`),
    page.next ? el('p', {}, `The first ${SHOWN} device keys (weft server members list shows them all).`) : null,
    table(`Device keys of ${tenant}: status, role, user, times and open sockets`, head, rows, 'members'),
  )
}
