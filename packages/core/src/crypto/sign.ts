import { concatBytes, utf8 } from '../codec/index.ts'
import type { DomainName } from './domains.ts'
import { passesEd25519Rule } from './ed25519Rule.ts'
import { sodium } from './sodium.ts'

/** An Ed25519 key pair. */
export interface SigningKeyPair {
  readonly publicKey: Uint8Array
  readonly privateKey: Uint8Array
}

export function generateSigningKeyPair(): SigningKeyPair {
  const kp = sodium().crypto_sign_keypair()
  return { publicKey: kp.publicKey, privateKey: kp.privateKey }
}

export function domainMessage(domain: DomainName, message: Uint8Array): Uint8Array {
  return concatBytes(utf8(domain), new Uint8Array([0]), message)
}

/** Ed25519 detached signature over `domain || 0x00 || message`. */
export function signDetached(domain: DomainName, message: Uint8Array, privateKey: Uint8Array): Uint8Array {
  return sodium().crypto_sign_detached(domainMessage(domain, message), privateKey)
}

/** Verifies a signature made by {@link signDetached}; never throws on bad input, returns false. */
export function verifyDetached(
  domain: DomainName,
  message: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  return verifyEd25519(domainMessage(domain, message), signature, publicKey)
}

/**
 * Plain Ed25519 verification by libsodium, under Weft's one rule ({@link passesEd25519Rule}), so
 * it accepts exactly what {@link verifyEd25519Async} accepts. Never throws; returns false.
 */
export function verifyEd25519(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (!passesEd25519Rule(signature, publicKey)) return false
  try {
    return sodium().crypto_sign_verify_detached(signature, message, publicKey)
  } catch {
    return false
  }
}
