import { toBase64Url, toHex } from '../codec/index.ts'
import { Domain, randomBytes, signDetached, type SigningKeyPair } from '../crypto/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import type { VerifiedProfile } from '../tenant/index.ts'
import type { Grant, GrantTerms } from './Grant.ts'
import { grantBytes } from './grantBytes.ts'
import { grantBodyProblem, type GrantBody } from './grantFields.ts'

/** Everything a grant says, as its issuer provides it. */
export interface CreateGrantInput extends GrantTerms {
  readonly source: { readonly tenantId: string; readonly signer: SigningKeyPair }
  readonly partner: VerifiedProfile
  /** Default: 128 random bits. */
  readonly id?: string
}

/** Builds and signs a grant (domain-separated Ed25519 by the source admin). `WEFT_INVALID_ARGUMENT` when a field is not valid. */
export function createGrant(input: CreateGrantInput): Grant {
  const body: GrantBody = {
    v: 1,
    id: input.id ?? toHex(randomBytes(16)),
    source: { tenantId: input.source.tenantId, signingKey: toBase64Url(input.source.signer.publicKey) },
    partner: {
      tenantId: input.partner.tenantId,
      signingKey: toBase64Url(input.partner.signingKey),
      boxKey: toBase64Url(input.partner.boxKey),
    },
    databases: [...input.databases],
    keyIds: [...input.keyIds],
    filter: input.filter === null ? null : { where: { ...input.filter.where } },
    permissions: [...input.permissions],
    conditions: {
      allowedEnvironments:
        input.conditions.allowedEnvironments === null ? null : [...input.conditions.allowedEnvironments],
      maxSyncs: input.conditions.maxSyncs,
      requiresApproval: input.conditions.requiresApproval,
    },
    issuedAt: input.issuedAt,
    expiresAt: input.expiresAt,
  }
  const problem = grantBodyProblem(body)
  if (problem) throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `invalid grant: ${problem}`)
  const signature = signDetached(Domain.grantSignature, grantBytes(body), input.source.signer.privateKey)
  return { ...body, signature: toBase64Url(signature) }
}
