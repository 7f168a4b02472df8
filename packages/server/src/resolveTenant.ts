import { ErrorCodes, WeftError } from '@weft/core'
import { isTenantId } from './parseRoute.ts'

/** Where a request may name its tenant. */
export interface TenantSources {
  readonly path?: string
  readonly header?: string
  readonly subdomain?: string
  readonly token?: string
  /** The tenant the embedding app's own authentication names (`resolveTenant(req)` of the middleware). */
  readonly app?: string
  /** The one tenant of a single-tenant server. */
  readonly fixed?: string
}

/**
 * The tenant a request is for. Precedence: URL path, then `X-Tenant-ID` header, then subdomain,
 * then the embedding app's, then the server's fixed tenant, then the session token or API key.
 * Every source present must name the same tenant: a request whose path, header, subdomain, app
 * and fixed tenant disagree is refused with `WEFT_TENANT_MISMATCH`; a token or key for another
 * tenant than the one named is refused with `WEFT_FORBIDDEN`. Undefined when nothing names one.
 */
export function resolveTenant(sources: TenantSources): string | undefined {
  const named = [sources.path, sources.header, sources.subdomain, sources.app, sources.fixed].filter(
    (s): s is string => s !== undefined,
  )
  if (named.some((n) => !isTenantId(n)))
    throw new WeftError(ErrorCodes.PROTOCOL, 'a tenant id is 1-512 bytes without / or control characters')
  const tenant = named[0]
  if (named.some((n) => n !== tenant)) {
    throw new WeftError(
      ErrorCodes.TENANT_MISMATCH,
      'the path, X-Tenant-ID header, subdomain and server name different tenants',
    )
  }
  if (tenant !== undefined && sources.token !== undefined && sources.token !== tenant) {
    throw new WeftError(ErrorCodes.FORBIDDEN, 'the session token belongs to another tenant')
  }
  return tenant ?? sources.token
}

/** The tenant a Host header names under `baseDomain`, if any. */
export function subdomainTenant(host: string | undefined, baseDomain: string | undefined): string | undefined {
  if (!host || !baseDomain) return undefined
  const name = host.replace(/:\d+$/, '').toLowerCase()
  const suffix = '.' + baseDomain.toLowerCase()
  if (!name.endsWith(suffix)) return undefined
  const label = name.slice(0, -suffix.length)
  if (!label || label.includes('.')) return undefined
  try {
    return decodeURIComponent(label)
  } catch {
    return undefined
  }
}
