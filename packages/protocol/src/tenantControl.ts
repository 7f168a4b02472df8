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
import type { SignedTenantControl, TenantControl } from './messages.ts'

/** The canonical bytes a tenant control signature covers. */
function controlBytes(c: TenantControl): Uint8Array {
  const w = new ByteWriter().varint(c.v).string(c.op).string(c.server).string(c.tenant).varint(c.seq).fixed(c.signer)
  // A transfer names the new admin; a reset names nothing more, so neither reads as the other.
  if (c.op === 'transfer') w.fixed(c.to!)
  return w.varint(c.issuedAt).finish()
}

/**
 * Signs a control operation on a tenant id for one server: `transfer` makes `to` the tenant's
 * registered admin there (signed by the registered admin or an admin device of the tenant's
 * directory), `reset` erases the tenant's registration, directory and data there (signed by the
 * registered admin). `seq` must be above every control `seq` the server saw for the tenant id, so
 * a control operation is accepted once; `server` is the server's identity, so no other server
 * accepts it.
 */
export function createTenantControl(
  input: { op: 'transfer' | 'reset'; server: string; tenant: string; seq: number; to?: Uint8Array },
  signer: SigningKeyPair | ServerSigner,
): SignedTenantControl {
  if (input.op === 'transfer' && !(input.to instanceof Uint8Array && input.to.length === 32))
    throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'a transfer names the new admin: a 32-byte Ed25519 public key')
  if (!Number.isSafeInteger(input.seq) || input.seq < 0)
    throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'seq is a whole number, 0 or more')
  const c: TenantControl = {
    v: 1,
    op: input.op,
    server: input.server,
    tenant: input.tenant,
    seq: input.seq,
    signer: signer.publicKey,
    issuedAt: Date.now(),
    ...(input.op === 'transfer' ? { to: input.to! } : {}),
  }
  return { ...c, signature: asServerSigner(signer).sign(Domain.serverControl, controlBytes(c)) }
}

/** True when a control operation is well formed and signed by the key it names as signer. */
export function verifyTenantControl(c: SignedTenantControl): boolean {
  try {
    if (c.v !== 1 || (c.op !== 'transfer' && c.op !== 'reset')) return false
    if (c.op === 'transfer' && !(c.to instanceof Uint8Array && c.to.length === 32)) return false
    if (c.op === 'reset' && c.to !== undefined) return false
    return verifyDetached(Domain.serverControl, controlBytes(c), c.signature, c.signer)
  } catch {
    return false
  }
}
