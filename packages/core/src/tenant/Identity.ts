import { generateBoxKeyPair, generateSigningKeyPair, type BoxKeyPair, type SigningKeyPair } from '../crypto/index.ts'

/** A member's secret keys: Ed25519 to sign entries, X25519 to receive sealed keys. */
export interface Identity {
  readonly signing: SigningKeyPair
  readonly box: BoxKeyPair
}

export function generateIdentity(): Identity {
  return { signing: generateSigningKeyPair(), box: generateBoxKeyPair() }
}
