import type { SignedRegistration } from './messages.ts'
import { MAX_REGISTRATION_KEYS } from './budgets.ts'
import { bad, bytesField, countField, fieldsOf, stringField, tenantField } from './parseFields.ts'

/**
 * Checks the shape of a signed registration from the wire: version, tenant id, the server it was
 * made for, counts, 32-byte keys (at most {@link MAX_REGISTRATION_KEYS} in all) and a 64-byte
 * signature. The signature itself is checked by `verifyRegistration`. `WEFT_PROTOCOL` when malformed.
 */
export function parseRegistration(raw: unknown): SignedRegistration {
  const r = fieldsOf(raw, 'registration')
  if (r.v !== 1) throw bad('registration version must be 1')
  const keys = (value: unknown, name: string): Uint8Array[] => {
    if (!Array.isArray(value)) throw bad(`registration.${name} is a list of keys`)
    return value.map((k) => bytesField(k, `registration.${name}`, { length: 32 }))
  }
  const add = keys(r.add, 'add')
  const revoke = keys(r.revoke, 'revoke')
  const authors = r.authors === undefined ? undefined : keys(r.authors, 'authors')
  if (1 + add.length + revoke.length + (authors?.length ?? 0) > MAX_REGISTRATION_KEYS) {
    throw bad(`a registration names at most ${MAX_REGISTRATION_KEYS} keys`)
  }
  return {
    v: 1,
    tenant: tenantField(r.tenant, 'registration.tenant'),
    server: stringField(r.server, 'registration.server', 512),
    seq: countField(r.seq, 'registration.seq'),
    admin: bytesField(r.admin, 'registration.admin', { length: 32 }),
    add,
    revoke,
    issuedAt: countField(r.issuedAt, 'registration.issuedAt'),
    ...(r.until !== undefined ? { until: countField(r.until, 'registration.until') } : {}),
    ...(authors !== undefined ? { authors } : {}),
    signature: bytesField(r.signature, 'registration.signature', { length: 64 }),
  }
}
