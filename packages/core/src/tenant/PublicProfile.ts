import { ByteWriter, fromBase64Url, toBase64Url } from '../codec/index.ts'
import { Domain, signDetached, verifyDetached } from '../crypto/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import { asTenantId, type TenantId } from '../types.ts'
import type { Identity } from './Identity.ts'

/**
 * What a tenant tells partners about itself: its id, its signing keys, and the X25519 key sealed
 * keys are sent to. Self-signed by the admin key. Plain JSON, safe to publish.
 */
export interface PublicProfile {
  readonly v: 1
  readonly tenantId: string
  /** Admin Ed25519 public key, base64url. */
  readonly signingKey: string
  /** X25519 public key for sealed key hand-offs, base64url. */
  readonly boxKey: string
  /** Every member signing key (admin included), base64url. */
  readonly members: readonly string[]
  /** Admin signature over the fields above, base64url. */
  readonly signature: string
}

/** A profile whose signature was checked, with its keys decoded. */
export interface VerifiedProfile {
  readonly tenantId: TenantId
  readonly signingKey: Uint8Array
  readonly boxKey: Uint8Array
  readonly members: readonly Uint8Array[]
  readonly profile: PublicProfile
}

function profileBytes(tenantId: string, signingKey: string, boxKey: string, members: readonly string[]): Uint8Array {
  const w = new ByteWriter().string(tenantId).string(signingKey).string(boxKey).varint(members.length)
  for (const m of members) w.string(m)
  return w.finish()
}

/** Makes and signs a profile. */
export function createProfile(tenantId: TenantId, admin: Identity, members: readonly Uint8Array[]): PublicProfile {
  const signingKey = toBase64Url(admin.signing.publicKey)
  const boxKey = toBase64Url(admin.box.publicKey)
  const memberKeys = members.map(toBase64Url)
  const sig = signDetached(
    Domain.profileSignature,
    profileBytes(tenantId, signingKey, boxKey, memberKeys),
    admin.signing.privateKey,
  )
  return { v: 1, tenantId, signingKey, boxKey, members: memberKeys, signature: toBase64Url(sig) }
}

/** Checks a profile received from anywhere; `WEFT_BAD_PROFILE` when it is malformed or forged. */
export function verifyProfile(profile: PublicProfile): VerifiedProfile {
  try {
    const { tenantId, signingKey, boxKey, members, signature } = profile
    if (profile.v !== 1 || typeof tenantId !== 'string' || !Array.isArray(members) || members.length > 1000)
      throw new Error('shape')
    const ok = verifyDetached(
      Domain.profileSignature,
      profileBytes(tenantId, signingKey, boxKey, members),
      fromBase64Url(signature),
      fromBase64Url(signingKey),
    )
    if (!ok) throw new Error('signature')
    const box = fromBase64Url(boxKey)
    const memberKeys = members.map(fromBase64Url)
    if (box.length !== 32 || memberKeys.some((k) => k.length !== 32)) throw new Error('key length')
    return {
      tenantId: asTenantId(tenantId),
      signingKey: fromBase64Url(signingKey),
      boxKey: box,
      members: memberKeys,
      profile,
    }
  } catch (cause) {
    throw new WeftError(ErrorCodes.BAD_PROFILE, 'public profile is malformed or its signature does not verify', {
      cause,
    })
  }
}
