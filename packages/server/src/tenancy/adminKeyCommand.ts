import { randomBytes, toBase64Url } from '@weft/core/backend'

/**
 * `weft-server admin-key`: prints a new admin API key, once. The operator gives it to the server
 * (`WEFT_ADMIN_KEY` or `tenancy.adminKey`), which stores only its hash at start; the key itself is
 * kept by the operator (a secret manager), never by the server.
 */
export function newAdminKey(): string {
  return `weft_${toBase64Url(randomBytes(12))}_${toBase64Url(randomBytes(32))}`
}
