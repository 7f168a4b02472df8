/** Cryptographic primitives, all from libsodium, each bound to a domain-separation string. */
export { ready, sodium } from './sodium.ts'
export { randomBytes } from './random.ts'
export { blake2b256, blake2b, blake2bOfParts, constantTimeEqual, sha256 } from './hash.ts'
export { Domain } from './domains.ts'
export type { DomainName } from './domains.ts'
export {
  generateSigningKeyPair,
  signDetached,
  signDomainMessage,
  verifyDetached,
  verifyEd25519,
  domainMessage,
  asDomainMessage,
  writeDomainPrefix,
  domainPrefixLength,
} from './sign.ts'
export type { DomainMessage } from './sign.ts'
export { verifyDetachedAsync, verifyEd25519Async } from './verifyAsync.ts'
export { signDetachedAsync, signDomainMessageAsync } from './signAsync.ts'
export { passesEd25519Rule, isAcceptablePublicKey } from './ed25519Rule.ts'
export type { SigningKeyPair } from './sign.ts'
export { serverSignerOf, isServerSigner } from './serverSigner.ts'
export type { ServerSigner, ServerDomain } from './serverSigner.ts'
export {
  encryptCommitted,
  sealCommitted,
  decryptCommitted,
  decryptCommitmentChecked,
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
export type { SignatureCheck, SignatureVerifier } from './SignatureVerifier.ts'
export { packSignatureChecks, unpackSignatureChecks } from './signatureBatch.ts'
export type { SignatureBatchRequest, SignatureBatchReply } from './signatureBatch.ts'
export { VerifierPool, DEFAULT_POOL_MIN_BATCH } from './VerifierPool.ts'
export type { VerifierThread, VerifierPoolOptions } from './VerifierPool.ts'
export { serveSignatureChecks } from './serveSignatureChecks.ts'
export type { SignatureCheckScope } from './serveSignatureChecks.ts'
export { createWebVerifierPool } from './createWebVerifierPool.ts'
export type { WebVerifierPoolOptions } from './createWebVerifierPool.ts'
