import { ByteWriter, packValue, unpackValue } from '../codec/index.ts'
import {
  Domain,
  openSealed,
  sealTo,
  signDetached,
  verifyDetached,
  type BoxKeyPair,
  type SigningKeyPair,
} from '../crypto/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import { decodeKeyVersions, encodeKeyVersions, type KeyVersion } from './keyMaterial.ts'

/** What a sealed key hand-off reveals to its recipient once opened. */
export interface OpenedSealedKey {
  readonly keyId: string
  readonly versions: KeyVersion[]
  /** Ed25519 public key of the sender, whose signature was verified. */
  readonly sender: Uint8Array
}

function signedBytes(keyId: string, secret: Uint8Array, recipient: Uint8Array): Uint8Array {
  return new ByteWriter().string(keyId).bytes(secret).bytes(recipient).finish()
}

/**
 * Seals key versions to a recipient's X25519 key, signed by the sender so the recipient knows who
 * handed it over (a bare sealed box is anonymous).
 */
export function sealKeyVersions(
  keyId: string,
  versions: readonly KeyVersion[],
  recipientBoxKey: Uint8Array,
  sender: SigningKeyPair,
): Uint8Array {
  const secret = encodeKeyVersions(versions)
  const sig = signDetached(Domain.sealedKey, signedBytes(keyId, secret, recipientBoxKey), sender.privateKey)
  return sealTo(
    packValue({ f: 'weft-sealed-key', v: 1, keyId, secret, sender: sender.publicKey, sig }),
    recipientBoxKey,
  )
}

/** Opens a sealed hand-off; `WEFT_DECRYPT_FAILED` if not for us, `WEFT_BAD_SIGNATURE` if forged. */
export function openSealedKeyVersions(sealed: Uint8Array, recipient: BoxKeyPair): OpenedSealedKey {
  const opened = openSealed(sealed, recipient)
  if (opened === null) throw new WeftError(ErrorCodes.DECRYPT_FAILED, 'sealed key is not addressed to this tenant')
  let v: { f: string; v: number; keyId: string; secret: Uint8Array; sender: Uint8Array; sig: Uint8Array }
  try {
    v = unpackValue(opened, 4 * 1024 * 1024)
  } catch (cause) {
    throw new WeftError(ErrorCodes.MALFORMED_BLOB, 'sealed key does not parse', { cause })
  }
  if (
    v?.f !== 'weft-sealed-key' ||
    v.v !== 1 ||
    typeof v.keyId !== 'string' ||
    !(v.secret instanceof Uint8Array) ||
    !(v.sender instanceof Uint8Array) ||
    !(v.sig instanceof Uint8Array)
  ) {
    throw new WeftError(ErrorCodes.MALFORMED_BLOB, 'sealed key does not parse')
  }
  if (!verifyDetached(Domain.sealedKey, signedBytes(v.keyId, v.secret, recipient.publicKey), v.sig, v.sender)) {
    throw new WeftError(ErrorCodes.BAD_SIGNATURE, 'sealed key signature does not verify')
  }
  return { keyId: v.keyId, versions: decodeKeyVersions(v.secret), sender: v.sender }
}
