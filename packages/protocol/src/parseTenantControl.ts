import type { SignedTenantControl } from './messages.ts'
import { bad, bytesField, countField, fieldsOf, stringField, tenantField } from './parseFields.ts'

/**
 * Checks the shape of a signed tenant control operation from the wire: version, operation, tenant
 * id, server, seq, 32-byte keys and a 64-byte signature. The signature itself is checked by
 * `verifyTenantControl`. `WEFT_PROTOCOL` when malformed.
 */
export function parseTenantControl(raw: unknown): SignedTenantControl {
  const c = fieldsOf(raw, 'control')
  if (c.v !== 1) throw bad('control version must be 1')
  if (c.op !== 'transfer' && c.op !== 'reset') throw bad('control.op is transfer or reset')
  if (c.op === 'reset' && c.to !== undefined) throw bad('a reset names no new admin')
  return {
    v: 1,
    op: c.op,
    tenant: tenantField(c.tenant, 'control.tenant'),
    server: stringField(c.server, 'control.server', 512),
    seq: countField(c.seq, 'control.seq'),
    signer: bytesField(c.signer, 'control.signer', { length: 32 }),
    issuedAt: countField(c.issuedAt, 'control.issuedAt'),
    ...(c.op === 'transfer' ? { to: bytesField(c.to, 'control.to', { length: 32 }) } : {}),
    signature: bytesField(c.signature, 'control.signature', { length: 64 }),
  }
}
