import { bytesEqual, toBase64Url } from '../codec/index.ts'
import type { BoxKeyPair, SigningKeyPair } from '../crypto/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import { openSealedKeyVersions, sealKeyVersions, type KeyBag } from '../keys/index.ts'
import { asKeyId, type KeyId } from '../types.ts'
import { verifyProfile, type PublicProfile } from './PublicProfile.ts'
import type { TrustPolicy } from './TrustPolicy.ts'

/**
 * Seals every version of key `keyId` of `keyBag` to a partner's box key, signed by `signer`.
 * `WEFT_KEY_NOT_FOUND` when the bag has no such key.
 */
export function sealSharedKey(
  keyBag: KeyBag,
  keyId: string,
  partner: PublicProfile,
  signer: SigningKeyPair,
): Uint8Array {
  const verified = verifyProfile(partner)
  const versions = keyBag.versions(keyId)
  if (versions.length === 0) throw new WeftError(ErrorCodes.KEY_NOT_FOUND, `no key named ${keyId}`)
  return sealKeyVersions(keyId, versions, verified.boxKey, signer)
}

/**
 * Opens a key sealed to `box` and adds it to `keyBag`, under its own name or `options.as`, when
 * `trust` trusts its sender (a member, or a partner's admin or member); `WEFT_UNTRUSTED_SIGNER`
 * otherwise.
 */
export async function openSharedKey(
  keyBag: KeyBag,
  trust: TrustPolicy,
  box: BoxKeyPair,
  sealed: Uint8Array,
  options: { as?: string },
): Promise<KeyId> {
  const opened = openSealedKeyVersions(sealed, box)
  const sender = toBase64Url(opened.sender)
  const trusted =
    trust.members().includes(sender) ||
    trust
      .partners()
      .some((p) => bytesEqual(p.profile.signingKey, opened.sender) || p.profile.profile.members.includes(sender))
  if (!trusted) throw new WeftError(ErrorCodes.UNTRUSTED_SIGNER, 'sealed key comes from a tenant that is not a partner')
  return keyBag.addVersions(asKeyId(options.as ?? opened.keyId), opened.versions)
}
