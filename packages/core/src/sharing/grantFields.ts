import type { Grant } from './Grant.ts'
import { isPermission } from './Grant.ts'

/** A grant without its signature: what the signature covers. */
export type GrantBody = Omit<Grant, 'signature'>

/** Size limits checked before anything else, so a hostile grant cannot make us allocate much. */
export const GRANT_LIMITS = {
  databases: 64,
  keyIds: 64,
  filterFields: 64,
  filterString: 1024,
  environments: 64,
  name: 128,
  tenantId: 512,
} as const

const HEX_ID = /^[0-9a-f]{32}$/
const B64_KEY = /^[A-Za-z0-9_-]{43}$/
const DB_NAME = /^[^\u0000-\u001f/]{1,128}$/
const KEY_NAME = /^[A-Za-z0-9._-]{1,64}$/

/**
 * Checks every field of a grant body; returns what is wrong, or `undefined` when it is well formed.
 * Used both when creating a grant (a caller error) and when parsing one (a bad grant).
 */
export function grantBodyProblem(g: GrantBody): string | undefined {
  if (typeof g !== 'object' || g === null || g.v !== 1) return 'not a version 1 grant'
  if (typeof g.id !== 'string' || !HEX_ID.test(g.id)) return 'grant id must be 32 lowercase hex digits'
  if (!isTenant(g.source?.tenantId) || !isKey(g.source?.signingKey)) return 'bad source'
  if (!isTenant(g.partner?.tenantId) || !isKey(g.partner?.signingKey) || !isKey(g.partner?.boxKey)) return 'bad partner'
  if (g.source.tenantId === g.partner.tenantId) return 'a grant needs two different tenants'
  if (!uniqueList(g.databases, GRANT_LIMITS.databases, (d) => DB_NAME.test(d)))
    return `databases: 1-${GRANT_LIMITS.databases} distinct database names`
  if (!uniqueList(g.keyIds, GRANT_LIMITS.keyIds, (k) => KEY_NAME.test(k) && k !== 'default')) {
    return `keyIds: 1-${GRANT_LIMITS.keyIds} distinct key names, never the tenant-wide "default" key`
  }
  if (g.filter !== null && !isFilter(g.filter)) return 'filter: null or { where } with primitive values'
  if (!uniqueList(g.permissions, 2, isPermission) || !g.permissions.includes('read'))
    return 'permissions: "read", optionally "write"'
  const c = g.conditions
  if (typeof c !== 'object' || c === null) return 'conditions missing'
  if (
    c.allowedEnvironments !== null &&
    !uniqueList(c.allowedEnvironments, GRANT_LIMITS.environments, (e) => e.length <= GRANT_LIMITS.name)
  ) {
    return 'allowedEnvironments: null or 1-64 distinct non-empty names'
  }
  if (c.maxSyncs !== null && !(Number.isSafeInteger(c.maxSyncs) && c.maxSyncs > 0))
    return 'maxSyncs: null or a positive integer'
  if (typeof c.requiresApproval !== 'boolean') return 'requiresApproval: a boolean'
  if (!isTime(g.issuedAt)) return 'issuedAt: milliseconds since the epoch'
  if (g.expiresAt !== null && !(isTime(g.expiresAt) && g.expiresAt > g.issuedAt))
    return 'expiresAt: null or later than issuedAt'
  return undefined
}

function isTenant(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= GRANT_LIMITS.tenantId
}

function isKey(v: unknown): v is string {
  return typeof v === 'string' && B64_KEY.test(v)
}

function isTime(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0
}

function uniqueList(v: unknown, max: number, ok: (s: string) => boolean): v is string[] {
  return (
    Array.isArray(v) &&
    v.length > 0 &&
    v.length <= max &&
    v.every((s) => typeof s === 'string' && s.length > 0 && ok(s)) &&
    new Set(v).size === v.length
  )
}

function isFilter(f: unknown): boolean {
  if (typeof f !== 'object' || f === null) return false
  const where = (f as { where?: unknown }).where
  if (typeof where !== 'object' || where === null || Array.isArray(where)) return false
  const entries = Object.entries(where)
  if (entries.length === 0 || entries.length > GRANT_LIMITS.filterFields) return false
  return entries.every(
    ([k, v]) =>
      k.length > 0 &&
      k.length <= GRANT_LIMITS.name &&
      (v === null ||
        typeof v === 'boolean' ||
        (typeof v === 'number' && Number.isFinite(v)) ||
        (typeof v === 'string' && v.length <= GRANT_LIMITS.filterString)),
  )
}
