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
  randomBytes,
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

describe('random bytes', () => {
  it('gives each request its own bytes of the asked length, never the same bytes twice, small or large', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 60 }), (sizes) => {
        const got = sizes.map((n) => randomBytes(n))
        got.forEach((b, i) => expect(b.length).toBe(sizes[i]))
        // Own buffers: writing one changes no other (a pool's view would).
        for (const b of got) expect(b.byteLength).toBe(b.buffer.byteLength)
        // 16 random bytes repeat with probability about 2^-128: a repeat is bytes handed out twice.
        const heads = got.filter((b) => b.length >= 16).map((b) => Buffer.from(b.subarray(0, 16)).toString('hex'))
        expect(new Set(heads).size).toBe(heads.length)
      }),
      { numRuns: 50 },
    )
  })

  it('draws bytes that look uniform across many small requests (no zeroed or repeated stretch)', () => {
    const counts = new Array<number>(256).fill(0)
    let total = 0
    for (let i = 0; i < 4_000; i++)
      for (const x of randomBytes(24)) {
        counts[x]!++
        total++
      }
    // 96,000 bytes: each value expected 375 times; a zeroed pool would pile thousands on 0.
    expect(Math.max(...counts)).toBeLessThan(500)
    expect(Math.min(...counts)).toBeGreaterThan(260)
    expect(total).toBe(96_000)
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
