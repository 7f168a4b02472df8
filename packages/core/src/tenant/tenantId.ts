import { canonicalTextProblem } from '../codec/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import { asTenantId, type TenantId } from '../types.ts'

/**
 * A structured tenant scope. Its canonical string, `org:server:project:environment:codeHash`, is
 * the isolation key: two scopes that differ in any part are different tenants.
 */
export interface TenantScope {
  readonly org: string
  readonly server?: string
  readonly project?: string
  readonly environment?: string
  readonly codeHash?: string
}

const escapePart = (s: string): string => s.replace(/\\/g, '\\\\').replace(/:/g, '\\:')

/** The canonical isolation key of a scope; empty parts stay empty and `:` is escaped. */
export function scopeToTenantId(scope: TenantScope): TenantId {
  if (!scope.org) throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'a tenant scope needs an org')
  const parts = [scope.org, scope.server, scope.project, scope.environment, scope.codeHash].map((p) =>
    escapePart(p ?? ''),
  )
  return checkTenantId(parts.join(':'))
}

/** Accepts a tenant id string or scope and returns the canonical id. */
export function toTenantId(id: string | TenantScope): TenantId {
  return typeof id === 'string' ? checkTenantId(id) : scopeToTenantId(id)
}

/**
 * A tenant id is 1-512 bytes of canonical text (NFC, no byte-order mark, no control character,
 * see `canonicalTextProblem`) without `/`: the form an entry's origin must have, so a tenant
 * never makes entries a reader would refuse, and no two ids look alike.
 */
function checkTenantId(id: string): TenantId {
  const bytes = new TextEncoder().encode(id).length
  if (bytes === 0 || bytes > 512 || id.includes('/') || canonicalTextProblem(id)) {
    throw new WeftError(
      ErrorCodes.INVALID_ARGUMENT,
      `tenant ids are 1-512 bytes of NFC text without '/', a byte-order mark or control characters`,
    )
  }
  return asTenantId(id)
}
