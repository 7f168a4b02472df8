import {
  ByteWriter,
  Domain,
  ErrorCodes,
  verifyDetached,
  WeftError,
  type ServerSigner,
  type SigningKeyPair,
} from '@weft/core/backend'
import { asServerSigner } from './challenge.ts'
import type { Registration, SignedRegistration } from './messages.ts'

/** The canonical bytes a registration signature covers. */
function registrationBytes(r: Registration): Uint8Array {
  const w = new ByteWriter()
    .varint(r.v)
    .string(r.server)
    .string(r.tenant)
    .varint(r.seq)
    .fixed(r.admin)
    .varint(r.add.length)
  for (const k of r.add) w.fixed(k)
  w.varint(r.revoke.length)
  for (const k of r.revoke) w.fixed(k)
  w.varint(r.issuedAt)
  // Optional fields follow only when present, each behind its own tag, so none can be added,
  // stripped or read as another.
  if (r.until !== undefined) w.varint(1).varint(r.until)
  if (r.authors !== undefined) {
    w.varint(2).varint(r.authors.length)
    for (const k of r.authors) w.fixed(k)
  }
  return w.finish()
}

/** Signs a membership change for one server with the tenant's admin key (domain-separated). */
export function createRegistration(
  input: {
    /** The identity of the server the registration is for (`GET /v1/identity`): no other server accepts it. */
    server: string
    tenant: string
    seq: number
    add?: readonly Uint8Array[]
    revoke?: readonly Uint8Array[]
    until?: number
    authors?: readonly Uint8Array[]
  },
  admin: SigningKeyPair | ServerSigner,
): SignedRegistration {
  if (input.until !== undefined && !(Number.isSafeInteger(input.until) && input.until >= 0)) {
    throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'until is a time in milliseconds since the epoch')
  }
  const r: Registration = {
    v: 1,
    server: input.server,
    tenant: input.tenant,
    seq: input.seq,
    admin: admin.publicKey,
    add: input.add ?? [],
    revoke: input.revoke ?? [],
    issuedAt: Date.now(),
    ...(input.until !== undefined ? { until: input.until } : {}),
    ...(input.authors !== undefined ? { authors: input.authors } : {}),
  }
  return { ...r, signature: asServerSigner(admin).sign(Domain.serverRegistration, registrationBytes(r)) }
}

/** True when a registration is well formed and signed by the key it names as admin. */
export function verifyRegistration(r: SignedRegistration): boolean {
  try {
    if (r.authors !== undefined && !Array.isArray(r.authors)) return false
    const keys = [r.admin, ...r.add, ...r.revoke, ...(r.authors ?? [])]
    if (
      r.v !== 1 ||
      typeof r.server !== 'string' ||
      typeof r.tenant !== 'string' ||
      !Number.isSafeInteger(r.seq) ||
      r.seq < 0
    )
      return false
    if (!Array.isArray(r.add) || !Array.isArray(r.revoke) || keys.length > 1001) return false
    if (!keys.every((k) => k instanceof Uint8Array && k.length === 32) || !Number.isSafeInteger(r.issuedAt))
      return false
    if (r.until !== undefined && !(Number.isSafeInteger(r.until) && r.until >= 0)) return false
    return verifyDetached(Domain.serverRegistration, registrationBytes(r), r.signature, r.admin)
  } catch {
    return false
  }
}
