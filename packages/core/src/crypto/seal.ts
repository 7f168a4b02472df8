import { sodium } from './sodium.ts'

/** An X25519 key pair for receiving sealed boxes. */
export interface BoxKeyPair {
  readonly publicKey: Uint8Array
  readonly privateKey: Uint8Array
}

export function generateBoxKeyPair(): BoxKeyPair {
  const kp = sodium().crypto_box_keypair()
  return { publicKey: kp.publicKey, privateKey: kp.privateKey }
}

/** Anonymous sealed box to `recipientPublicKey` (X25519 + XSalsa20-Poly1305). */
export function sealTo(message: Uint8Array, recipientPublicKey: Uint8Array): Uint8Array {
  return sodium().crypto_box_seal(message, recipientPublicKey)
}

/** Opens a sealed box; returns `null` when it was not sealed to this key pair or was altered. */
export function openSealed(sealed: Uint8Array, recipient: BoxKeyPair): Uint8Array | null {
  try {
    return sodium().crypto_box_seal_open(sealed, recipient.publicKey, recipient.privateKey)
  } catch {
    return null
  }
}
