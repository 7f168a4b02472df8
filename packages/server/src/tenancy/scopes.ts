import { ErrorCodes, WeftError } from '@weft/core/backend'
import { isTenantId } from '../parseRoute.ts'

/**
 * What an API key may do. `admin:tenants`: everything the admin API does with tenants (create,
 * list, update, suspend, resume, export, delete, and any tenant's stats and events);
 * `admin:keys`: create, list and revoke API keys; `tenant:<id>:read-stats` and
 * `tenant:<id>:events`: one tenant's statistics, and its event stream.
 */
export type Scope = 'admin:tenants' | 'admin:keys' | `tenant:${string}:read-stats` | `tenant:${string}:events`

/** What a request asks a key for: an admin right, or a right over one tenant. */
export type Need = 'admin:tenants' | 'admin:keys' | { readonly tenant: string; readonly right: 'read-stats' | 'events' }

const MAX_SCOPES = 16

/** Parses scope strings; `WEFT_INVALID_ARGUMENT` for an unknown one, or for scopes naming two tenants. */
export function parseScopes(raw: readonly unknown[]): Scope[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_SCOPES)
    throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `an API key has 1 to ${MAX_SCOPES} scopes`)
  const out: Scope[] = []
  for (const s of raw) {
    if (s === 'admin:tenants' || s === 'admin:keys') out.push(s)
    else if (typeof s === 'string' && tenantScope(s)) out.push(s as Scope)
    else throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `unknown scope ${JSON.stringify(s).slice(0, 80)}`)
  }
  scopedTenant(out)
  return [...new Set(out)]
}

/**
 * The one tenant a key's scopes are bound to: the tenant its `tenant:` scopes name when it has no
 * admin scope; undefined for an admin key.
 */
export function scopedTenant(scopes: readonly Scope[]): string | undefined {
  if (scopes.some((s) => s === 'admin:tenants' || s === 'admin:keys')) {
    if (scopes.some((s) => tenantScope(s)))
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'a key is either an admin key or scoped to one tenant')
    return undefined
  }
  const tenants = new Set(scopes.map((s) => tenantScope(s)!.tenant))
  if (tenants.size !== 1) throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'a key is scoped to at most one tenant')
  return [...tenants][0]
}

/** Whether scopes allow what a request needs (`admin:tenants` covers every tenant right). */
export function allows(scopes: readonly Scope[], need: Need): boolean {
  if (typeof need === 'string') return scopes.includes(need)
  return scopes.includes('admin:tenants') || scopes.includes(`tenant:${need.tenant}:${need.right}`)
}

function tenantScope(s: string): { tenant: string; right: string } | undefined {
  const m = /^tenant:(.+):(read-stats|events)$/.exec(s)
  return m && isTenantId(m[1]!) ? { tenant: m[1]!, right: m[2]! } : undefined
}
