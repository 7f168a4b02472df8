import fc from 'fast-check'
import { Buffer } from 'node:buffer'
import { beforeAll, describe, expect, it } from 'vitest'
import { fromHex } from '../src/codec/index.ts'
import { passesEd25519Rule, ready, sodium, verifyEd25519, verifyEd25519Async } from '../src/crypto/index.ts'
import { ED25519_VECTORS } from './fixtures/ed25519Vectors.ts'

beforeAll(ready)

describe('one Ed25519 rule for libsodium and WebCrypto', () => {
  for (const v of ED25519_VECTORS) {
    it(`${v.valid ? 'accepts' : 'refuses'} ${v.name}`, async () => {
      const [message, signature, publicKey] = [fromHex(v.message), fromHex(v.signature), fromHex(v.publicKey)]
      expect(verifyEd25519(message, signature, publicKey)).toBe(v.valid)
      expect(await verifyEd25519Async(message, signature, publicKey)).toBe(v.valid)
      expect(passesEd25519Rule(signature, publicKey) || !v.valid).toBe(true)
    })
  }

  it('accepts every genuine signature in both verifiers and never changes the bytes it reads', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 200 }),
        async (seed, message) => {
          const kp = sodium().crypto_sign_seed_keypair(seed)
          // Node Buffers, as LevelDB hands them out: their `slice` is a view, so a check that
          // copied with it and masked a bit would change the caller's signature.
          const signature = Buffer.from(sodium().crypto_sign_detached(message, kp.privateKey))
          const publicKey = Buffer.from(kp.publicKey)
          const before = Buffer.concat([signature, publicKey])
          expect(verifyEd25519(message, signature, publicKey)).toBe(true)
          expect(await verifyEd25519Async(message, signature, publicKey)).toBe(true)
          expect(Buffer.concat([signature, publicKey]).equals(before)).toBe(true)
        },
      ),
      { numRuns: 100 },
    )
  })

  it('closes a real gap: WebCrypto alone accepts vectors the rule refuses', async () => {
    // Without the rule, the two verifiers disagree on these: this is what the rule is for.
    let disagreements = 0
    for (const v of ED25519_VECTORS) {
      const [message, signature, publicKey] = [fromHex(v.message), fromHex(v.signature), fromHex(v.publicKey)]
      const raw = await webCryptoAlone(message, signature, publicKey)
      let bySodium = false
      try {
        bySodium = sodium().crypto_sign_verify_detached(signature, message, publicKey)
      } catch {}
      if (raw !== bySodium) disagreements++
    }
    expect(disagreements).toBeGreaterThanOrEqual(9)
  })
})

async function webCryptoAlone(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
  try {
    const key = await crypto.subtle.importKey('raw', publicKey as BufferSource, { name: 'Ed25519' }, false, ['verify'])
    return await crypto.subtle.verify('Ed25519', key, signature as BufferSource, message as BufferSource)
  } catch {
    return false
  }
}
