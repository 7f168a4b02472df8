import type { Partner } from '../tenant/index.ts'
import type { Grant } from './Grant.ts'

/** A grant partner's signing keys (base64url): the one the grant names, and every signer of its profile here. */
export function partnerSigners(grant: Grant, partners: readonly Partner[]): Set<string> {
  const signers = new Set([grant.partner.signingKey])
  const profile = partners.find((p) => p.profile.tenantId === grant.partner.tenantId)?.profile.profile
  if (profile) for (const k of [profile.signingKey, ...profile.members]) signers.add(k)
  return signers
}
