import { concatBytes, utf8 } from '../codec/index.ts'
import { Domain } from './domains.ts'
import { blake2b256, constantTimeEqual } from './hash.ts'
import { randomBytes } from './random.ts'
import { sodium } from './sodium.ts'

export const KEY_BYTES = 32
export const NONCE_BYTES = 24
const COMMIT_BYTES = 32
const TAG_BYTES = 16
/** Bytes a sealed payload adds to its plaintext: key commitment plus Poly1305 tag. */
export const AEAD_OVERHEAD = COMMIT_BYTES + TAG_BYTES

const commitLabel = utf8(Domain.keyCommitment)
/** The commitment's input, the label then a nonce: one buffer for every call. */
const commitInput = concatBytes(commitLabel, new Uint8Array(NONCE_BYTES))

/**
 * Key commitment: a keyed BLAKE2b of the nonce. XChaCha20-Poly1305 alone lets one ciphertext
 * decrypt under two different keys; prefixing this tag binds the ciphertext to exactly one key.
 */
function commitment(key: Uint8Array, nonce: Uint8Array): Uint8Array {
  if (nonce.length !== NONCE_BYTES) throw new RangeError('the nonce must be 24 bytes')
  commitInput.set(nonce, commitLabel.length) // libsodium copies its input before it returns
  return blake2b256(commitInput, key)
}

export function generateKey(): Uint8Array {
  return randomBytes(KEY_BYTES)
}

export function generateNonce(): Uint8Array {
  return randomBytes(NONCE_BYTES)
}

/** XChaCha20-Poly1305 with key commitment. Output: commitment (32) || ciphertext || tag (16). */
export function encryptCommitted(
  plaintext: Uint8Array,
  key: Uint8Array,
  nonce: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  const { commitment, sealed } = sealCommitted(plaintext, key, nonce, associatedData)
  return concatBytes(commitment, sealed)
}

/**
 * {@link encryptCommitted} in its two parts, for a caller that writes them into a buffer of its
 * own (`commitment || sealed` is the output): a large payload is then not copied once more here.
 */
export function sealCommitted(
  plaintext: Uint8Array,
  key: Uint8Array,
  nonce: Uint8Array,
  associatedData: Uint8Array,
): { commitment: Uint8Array; sealed: Uint8Array } {
  const sealed = sodium().crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, associatedData, null, nonce, key)
  return { commitment: commitment(key, nonce), sealed }
}

/** True when `ciphertext` was made with `key` (checks the key commitment only; constant time). */
export function keyCommits(ciphertext: Uint8Array, key: Uint8Array, nonce: Uint8Array): boolean {
  if (ciphertext.length < AEAD_OVERHEAD || key.length !== KEY_BYTES || nonce.length !== NONCE_BYTES) return false
  return constantTimeEqual(ciphertext.subarray(0, COMMIT_BYTES), commitment(key, nonce))
}

/** Opens {@link encryptCommitted} output; returns `null` on any failure (wrong key, tampering). */
export function decryptCommitted(
  ciphertext: Uint8Array,
  key: Uint8Array,
  nonce: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array | null {
  if (!keyCommits(ciphertext, key, nonce)) return null
  return decryptCommitmentChecked(ciphertext, key, nonce, associatedData)
}

/**
 * {@link decryptCommitted} without checking the key commitment again: only for a caller that has
 * just seen {@link keyCommits} return true for this exact ciphertext, key and nonce. (Poly1305
 * still authenticates the ciphertext.)
 */
export function decryptCommitmentChecked(
  ciphertext: Uint8Array,
  key: Uint8Array,
  nonce: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array | null {
  try {
    return sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      ciphertext.subarray(COMMIT_BYTES),
      associatedData,
      nonce,
      key,
    )
  } catch {
    return null
  }
}
