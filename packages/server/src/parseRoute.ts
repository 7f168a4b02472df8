import { isDbName, toTenantId } from '@weft/core/backend'
import { DB_OPS, MAIL_OPS, TENANT_OPS, type DbOp, type MailOp, type TenantOp } from '@weft/protocol'

/**
 * A request path, parsed: `/v1[/t/<tenant>]/<op>`, `/v1[/t/<tenant>]/db/<db>/<op>`,
 * `/v1[/t/<tenant>]/mail/<op>` or `/v1[/t/<tenant>]/ws`.
 */
export type Route =
  | { readonly kind: 'tenant'; readonly pathTenant?: string; readonly op: TenantOp }
  | { readonly kind: 'mail'; readonly pathTenant?: string; readonly op: MailOp }
  | { readonly kind: 'db'; readonly pathTenant?: string; readonly db: string; readonly op: DbOp }
  | { readonly kind: 'ws'; readonly pathTenant?: string }

/** Parses a path; undefined when it names nothing the server serves. */
export function parseRoute(pathname: string): Route | undefined {
  const parts = pathname.split('/').slice(1)
  if (parts.shift() !== 'v1') return undefined
  let pathTenant: string | undefined
  if (parts[0] === 't') {
    parts.shift()
    pathTenant = decode(parts.shift())
    if (pathTenant === undefined || !isTenantId(pathTenant)) return undefined
  }
  const base = pathTenant === undefined ? {} : { pathTenant }
  if (parts.length === 1 && parts[0] === 'ws') return { kind: 'ws', ...base }
  if (parts.length === 1 && (TENANT_OPS as readonly string[]).includes(parts[0]!))
    return { kind: 'tenant', op: parts[0] as TenantOp, ...base }
  if (parts.length === 2 && parts[0] === 'mail' && (MAIL_OPS as readonly string[]).includes(parts[1]!)) {
    return { kind: 'mail', op: parts[1] as MailOp, ...base }
  }
  if (parts.length === 3 && parts[0] === 'db' && (DB_OPS as readonly string[]).includes(parts[2]!)) {
    const db = decode(parts[1])
    if (db === undefined || !isDbName(db)) return undefined
    return { kind: 'db', db, op: parts[2] as DbOp, ...base }
  }
  return undefined
}

function decode(s: string | undefined): string | undefined {
  if (!s) return undefined
  try {
    const d = decodeURIComponent(s)
    return d !== '.' && d !== '..' ? d : undefined
  } catch {
    return undefined
  }
}

/** A tenant id by the core rule (`toTenantId`). */
export function isTenantId(s: string): boolean {
  try {
    toTenantId(s)
    return true
  } catch {
    return false
  }
}
