import { ErrorCodes, WeftError } from '../errors.ts'
import type { Grant, GrantOffer } from './Grant.ts'
import { grantBodyProblem } from './grantFields.ts'

const SIGNATURE = /^[A-Za-z0-9_-]{86}$/
const MAX_SEALED_KEY_CHARS = 8 * 1024 * 1024
const MAX_OFFER_KEYS = 64

/**
 * Checks that an untrusted value is a well-formed grant (fields, sizes, a signature of the right
 * shape) and returns it typed. It does not check the signature: see `verifyGrant`.
 * `WEFT_BAD_GRANT` when it is not.
 */
export function parseGrant(value: unknown): Grant {
  const g = value as Grant
  const problem = typeof g === 'object' && g !== null ? grantBodyProblem(g) : 'not an object'
  if (problem) throw new WeftError(ErrorCodes.BAD_GRANT, `malformed grant: ${problem}`)
  if (typeof g.signature !== 'string' || !SIGNATURE.test(g.signature))
    throw new WeftError(ErrorCodes.BAD_GRANT, 'malformed grant signature')
  return g
}

/** Checks the shape of a grant offer (grant, profile, sealed keys); `WEFT_BAD_GRANT` when it is not one. */
export function parseGrantOffer(value: unknown): GrantOffer {
  const o = value as GrantOffer
  if (typeof o !== 'object' || o === null || o.v !== 1)
    throw new WeftError(ErrorCodes.BAD_GRANT, 'not a version 1 grant offer')
  const grant = parseGrant(o.grant)
  if (typeof o.sourceProfile !== 'object' || o.sourceProfile === null)
    throw new WeftError(ErrorCodes.BAD_GRANT, 'grant offer has no source profile')
  if (
    !Array.isArray(o.keys) ||
    o.keys.length > MAX_OFFER_KEYS ||
    !o.keys.every((k) => typeof k === 'string' && k.length <= MAX_SEALED_KEY_CHARS && /^[A-Za-z0-9_-]*$/.test(k))
  ) {
    throw new WeftError(ErrorCodes.BAD_GRANT, 'grant offer keys must be base64url sealed keys')
  }
  return { v: 1, grant, sourceProfile: o.sourceProfile, keys: o.keys }
}
