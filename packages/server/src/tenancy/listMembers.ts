import type { Role } from '@weft/core/backend'
import type { MemberRegistry } from '../MemberRegistry.ts'
import type { MemberTimes } from '../MemberTimes.ts'
import type { TenantDirectory } from '../TenantDirectory.ts'

/** Where a tenant's member listing comes from: what the server holds in plaintext, never key records. */
export interface MemberSources {
  readonly registry: MemberRegistry
  readonly directory: TenantDirectory
  readonly times: MemberTimes
  /** The tenant's open sockets, counted by the device key that signed in (this process's). */
  readonly socketsByKey: (tenant: string) => ReadonlyMap<string, number>
}

/** One device key of a tenant, as `GET /v1/admin/tenants/:id/members` lists it. */
export interface MemberRow {
  /** The device's Ed25519 public key, base64url. */
  readonly key: string
  /** Its user in the tenant's directory; null for a key only a registration admitted. */
  readonly userId: string | null
  /** Its user's role; `admin` for the registered admin, null for another key only a registration admitted. */
  readonly role: Role | null
  /** `active`: it may sign in; `removed`: removed or revoked; `expired`: its registration's time ran out. */
  readonly status: 'active' | 'removed' | 'expired'
  /** What admitted it: the tenant's signed directory, or a registration only. */
  readonly source: 'directory' | 'registration'
  /** When this server first admitted it (ms since the epoch); null when unknown. */
  readonly admittedAt: number | null
  /** When it last signed in to this server (ms since the epoch); null when it never did. */
  readonly lastSignInAt: number | null
  /** WebSocket clients it has open now (on this process). */
  readonly sockets: number
}

/**
 * A page of a tenant's device keys, sorted by key, after `after`: the devices its directory lists
 * (removed ones included) and the keys its registrations admitted or revoked. A key either side
 * revokes is `removed`, as for sign-in. `next` names the last key when more follow. The whole
 * roster is bounded by the server's directory and registration limits; only the page's times are read.
 */
export async function listMembers(
  s: MemberSources,
  tenant: string,
  page: { readonly after?: string; readonly limit: number },
  now = Date.now(),
): Promise<{ members: MemberRow[]; next?: string }> {
  const roster = await s.registry.roster(tenant)
  if (!roster) return { members: [] }
  const revoked = new Set(roster.revoked)
  const rows = new Map<string, Omit<MemberRow, 'admittedAt' | 'lastSignInAt' | 'sockets'>>()
  for (const m of roster.members) {
    rows.set(m.key, {
      key: m.key,
      userId: null,
      role: m.key === roster.admin ? 'admin' : null,
      status: m.until !== undefined && now >= m.until ? 'expired' : 'active',
      source: 'registration',
    })
  }
  for (const key of revoked) rows.set(key, { key, userId: null, role: null, status: 'removed', source: 'registration' })
  for (const d of await s.directory.devices(tenant, roster.root)) {
    rows.set(d.key, {
      key: d.key,
      userId: d.userId,
      role: d.role,
      status: d.removed || revoked.has(d.key) ? 'removed' : 'active',
      source: 'directory',
    })
  }
  const keys = [...rows.keys()].filter((k) => page.after === undefined || k > page.after).sort()
  const chosen = keys.slice(0, page.limit)
  const times = await s.times.read(tenant, chosen)
  const sockets = s.socketsByKey(tenant)
  const members = chosen.map((key) => ({
    ...rows.get(key)!,
    admittedAt: times.get(key)?.admittedAt ?? null,
    lastSignInAt: times.get(key)?.lastSignInAt ?? null,
    sockets: sockets.get(key) ?? 0,
  }))
  return keys.length > chosen.length ? { members, next: chosen.at(-1)! } : { members }
}
