import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  decryptCommitted,
  deriveKeyFromPassword,
  Domain,
  encryptCommitted,
  generateBoxKeyPair,
  generateKey,
  generateNonce,
  generateSigningKeyPair,
  openSealed,
  ready,
  sealTo,
  signDetached,
  TEST_KDF,
  verifyDetached,
} from '../src/crypto/index.ts'

beforeAll(ready)

describe('committed AEAD', () => {
  it('round-trips and binds the associated data', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), fc.uint8Array({ maxLength: 50 }), (msg, ad) => {
        const key = generateKey()
        const nonce = generateNonce()
        const ct = encryptCommitted(msg, key, nonce, ad)
        expect(decryptCommitted(ct, key, nonce, ad)).toEqual(msg)
        expect(decryptCommitted(ct, key, nonce, Uint8Array.of(...ad, 1))).toBeNull()
      }),
      { numRuns: 50 },
    )
  })

  it('opens under exactly one key and refuses any flipped bit', () => {
    const key = generateKey()
    const nonce = generateNonce()
    const ct = encryptCommitted(new TextEncoder().encode('secret'), key, nonce, new Uint8Array())
    expect(decryptCommitted(ct, generateKey(), nonce, new Uint8Array())).toBeNull()
    fc.assert(
      fc.property(fc.nat(ct.length * 8 - 1), (bit) => {
        const t = ct.slice()
        t[bit >> 3]! ^= 1 << (bit & 7)
        expect(decryptCommitted(t, key, nonce, new Uint8Array())).toBeNull()
      }),
    )
  })
})

describe('signatures', () => {
  it('verify only under the same domain, message and key', () => {
    const kp = generateSigningKeyPair()
    const msg = Uint8Array.of(1, 2, 3)
    const sig = signDetached(Domain.entrySignature, msg, kp.privateKey)
    expect(verifyDetached(Domain.entrySignature, msg, sig, kp.publicKey)).toBe(true)
    expect(verifyDetached(Domain.profileSignature, msg, sig, kp.publicKey)).toBe(false)
    expect(verifyDetached(Domain.entrySignature, Uint8Array.of(1, 2, 4), sig, kp.publicKey)).toBe(false)
    expect(verifyDetached(Domain.entrySignature, msg, sig, generateSigningKeyPair().publicKey)).toBe(false)
    expect(verifyDetached(Domain.entrySignature, msg, sig.subarray(1), kp.publicKey)).toBe(false)
  })
})

describe('Argon2id and sealed boxes', () => {
  it('derives the same key from the same password and salt only', () => {
    const salt = new Uint8Array(16).fill(7)
    const a = deriveKeyFromPassword('pw', salt, TEST_KDF)
    expect(deriveKeyFromPassword('pw', salt, TEST_KDF)).toEqual(a)
    expect(deriveKeyFromPassword('pw2', salt, TEST_KDF)).not.toEqual(a)
    expect(deriveKeyFromPassword('pw', new Uint8Array(16).fill(8), TEST_KDF)).not.toEqual(a)
  })

  it('opens a sealed box only with the recipient key pair', () => {
    const bob = generateBoxKeyPair()
    const sealed = sealTo(Uint8Array.of(9, 9), bob.publicKey)
    expect(openSealed(sealed, bob)).toEqual(Uint8Array.of(9, 9))
    expect(openSealed(sealed, generateBoxKeyPair())).toBeNull()
  })
})

describe('asynchronous Ed25519 verification', () => {
  it('accepts exactly what the synchronous check accepts', async () => {
    const { verifyDetachedAsync } = await import('../src/crypto/index.ts')
    const kp = generateSigningKeyPair()
    const msg = Uint8Array.of(1, 2, 3)
    const sig = signDetached(Domain.entrySignature, msg, kp.privateKey)
    expect(await verifyDetachedAsync(Domain.entrySignature, msg, sig, kp.publicKey)).toBe(true)
    expect(await verifyDetachedAsync(Domain.profileSignature, msg, sig, kp.publicKey)).toBe(false)
    expect(await verifyDetachedAsync(Domain.entrySignature, Uint8Array.of(1, 2, 4), sig, kp.publicKey)).toBe(false)
    const flipped = sig.slice()
    flipped[5]! ^= 1
    expect(await verifyDetachedAsync(Domain.entrySignature, msg, flipped, kp.publicKey)).toBe(false)
    // a small-order public key (the identity point) is refused, as libsodium refuses it
    const identity = new Uint8Array(32)
    identity[0] = 1
    expect(await verifyDetachedAsync(Domain.entrySignature, msg, sig, identity)).toBe(false)
    expect(verifyDetached(Domain.entrySignature, msg, sig, identity)).toBe(false)
  })
})
