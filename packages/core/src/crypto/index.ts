/** Cryptographic primitives, all from libsodium, each bound to a domain-separation string. */
export { ready, sodium } from './sodium.ts'
export { randomBytes } from './random.ts'
export { blake2b256, blake2b, constantTimeEqual } from './hash.ts'
export { Domain } from './domains.ts'
export type { DomainName } from './domains.ts'
export { generateSigningKeyPair, signDetached, verifyDetached, verifyEd25519, domainMessage } from './sign.ts'
export { verifyDetachedAsync, verifyEd25519Async } from './verifyAsync.ts'
export { passesEd25519Rule, isAcceptablePublicKey } from './ed25519Rule.ts'
export type { SigningKeyPair } from './sign.ts'
export { serverSignerOf, isServerSigner } from './serverSigner.ts'
export type { ServerSigner, ServerDomain } from './serverSigner.ts'
export {
  encryptCommitted,
  decryptCommitted,
  keyCommits,
  generateKey,
  generateNonce,
  KEY_BYTES,
  NONCE_BYTES,
  AEAD_OVERHEAD,
} from './aead.ts'
export { deriveKeyFromPassword, validKdfParams, DEFAULT_KDF, TEST_KDF, SALT_BYTES } from './password.ts'
export type { KdfParams } from './password.ts'
export { generateBoxKeyPair, sealTo, openSealed } from './seal.ts'
export type { BoxKeyPair } from './seal.ts'
