import { fromBase64Url } from '../codec/index.ts'
import { Domain, verifyDetached } from '../crypto/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import type { Grant } from './Grant.ts'
import { grantBytes } from './grantBytes.ts'
import { parseGrant } from './parseGrant.ts'

/**
 * Parses a grant and checks that its source's key signed exactly these fields. Returns the grant;
 * `WEFT_BAD_GRANT` when it is malformed or the signature does not verify. Who the source is
 * (that the key belongs to the tenant it claims) is the caller's check, against a trusted profile.
 */
export function verifyGrant(value: unknown): Grant {
  const grant = parseGrant(value)
  const ok = verifyDetached(
    Domain.grantSignature,
    grantBytes(grant),
    fromBase64Url(grant.signature),
    fromBase64Url(grant.source.signingKey),
  )
  if (!ok) throw new WeftError(ErrorCodes.BAD_GRANT, `grant ${grant.id}: the source's signature does not verify`)
  return grant
}
