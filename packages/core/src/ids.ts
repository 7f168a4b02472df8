import type { ChangeHash, DbName, DocId } from './types.ts'

// One rule per id kind, for everything that takes ids from outside (the network, files, users).
// Tenant ids: `toTenantId` (tenant/tenantId.ts).

const LOWER_HEX = /^[0-9a-f]*$/

/** A change hash: 64 lowercase hex characters (BLAKE2b-256). */
export function isChangeHash(value: unknown): value is ChangeHash {
  return typeof value === 'string' && value.length === 64 && LOWER_HEX.test(value)
}

/** A document id: 32 lowercase hex characters (128 random bits). */
export function isDocId(value: unknown): value is DocId {
  return typeof value === 'string' && value.length === 32 && LOWER_HEX.test(value)
}

/** A database name: 1-128 bytes of UTF-8, without `/` or control characters. */
export function isDbName(value: unknown): value is DbName {
  if (typeof value !== 'string' || value.length === 0 || value.length > 128 || /[\u0000-\u001f/]/.test(value))
    return false
  return new TextEncoder().encode(value).length <= 128
}
