import { packValue } from '../codec/index.ts'
import {
  Domain,
  domainMessage,
  encryptCommitted,
  generateNonce,
  signDetached,
  type SigningKeyPair,
} from '../crypto/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import { PRESENCE_LIMITS } from './limits.ts'
import type { PresenceBody, PresenceHeader } from './PresenceMessage.ts'

/** What {@link createPresenceMessage} needs besides the body. */
export interface PresenceSeal {
  readonly header: Omit<PresenceHeader, 'v' | 'sender'>
  readonly signer: SigningKeyPair
  readonly key: Uint8Array
}

/**
 * Encodes, encrypts and signs one presence message: the body is encrypted (XChaCha20-Poly1305,
 * key-committed) under the scope's key with the header as associated data, and the header, nonce
 * and ciphertext are signed by the sending device. A relay learns the tenant, scope, sender and
 * timing, never the body. `WEFT_PAYLOAD_TOO_LARGE` when the state is over the limit.
 */
export function createPresenceMessage(body: PresenceBody, seal: PresenceSeal): Uint8Array {
  const plain = packValue(body.kind === 'state' ? { k: 'state', s: body.state, a: body.ask } : { k: body.kind })
  if (plain.length > PRESENCE_LIMITS.maxStateBytes)
    throw new WeftError(
      ErrorCodes.PAYLOAD_TOO_LARGE,
      `a presence state is at most ${PRESENCE_LIMITS.maxStateBytes} bytes encoded (this one: ${plain.length})`,
    )
  const h = seal.header
  const headerBytes = packValue([1, h.tenant, h.scope, seal.signer.publicKey, h.seq, h.at, h.keyId, h.keyVersion])
  const nonce = generateNonce()
  const ciphertext = encryptCommitted(plain, seal.key, nonce, domainMessage(Domain.presenceAssociatedData, headerBytes))
  const signed = packValue([headerBytes, nonce, ciphertext])
  const signature = signDetached(Domain.presenceSignature, signed, seal.signer.privateKey)
  return packValue([signed, signature])
}
