import fc from 'fast-check'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { verifyEntry } from '../src/backend.ts'
import { createEntryAsync, isLocallySigned } from '../src/entries/index.ts'
import {
  Domain,
  generateSigningKeyPair,
  signDetached,
  signDetachedAsync,
  verifyDetached,
  type SigningKeyPair,
} from '../src/crypto/index.ts'
import { ready } from '../src/index.ts'
import { asDbName, asKeyId, asTenantId } from '../src/types.ts'
import { EntryFactory } from '../src/store/conformance/fixtures.ts'

let authors: SigningKeyPair[] = []
beforeAll(async () => {
  await ready()
  authors = Array.from({ length: 4 }, () => generateSigningKeyPair())
})
afterEach(() => vi.restoreAllMocks())

describe('signDetachedAsync', () => {
  it('signs through WebCrypto here, with the bytes libsodium gives, for any message and key', async () => {
    const sign = vi.spyOn(globalThis.crypto.subtle, 'sign')
    const domains = Object.values(Domain)
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 70_000 }),
        fc.constantFrom(...domains),
        fc.integer({ min: 0, max: 3 }),
        async (message, domain, k) => {
          const author = authors[k]!
          const signature = await signDetachedAsync(domain, message, author)
          expect(signature).toEqual(signDetached(domain, message, author.privateKey))
          expect(verifyDetached(domain, message, signature, author.publicKey)).toBe(true)
        },
      ),
      { numRuns: 60 },
    )
    expect(sign).toHaveBeenCalled()
  })

  it('falls back to libsodium where WebCrypto cannot import an Ed25519 key', async () => {
    vi.spyOn(globalThis.crypto.subtle, 'importKey').mockRejectedValue(
      new DOMException('no Ed25519', 'NotSupportedError'),
    )
    const sign = vi.spyOn(globalThis.crypto.subtle, 'sign')
    const author = generateSigningKeyPair() // a key pair not imported before
    const message = new Uint8Array(5_000).fill(7)
    expect(await signDetachedAsync(Domain.entrySignature, message, author)).toEqual(
      signDetached(Domain.entrySignature, message, author.privateKey),
    )
    expect(sign).not.toHaveBeenCalled()
  })

  it('makes entries that verify and are marked signed here', async () => {
    const fx = new EntryFactory()
    const entry = await createEntryAsync({
      kind: 'chunk',
      docId: fx.docIds[0]!,
      origin: { tenant: asTenantId('t'), db: asDbName('d') },
      deps: [],
      keyId: asKeyId('k'),
      keyVersion: 1,
      key: fx.key,
      payload: new Uint8Array(100_000).fill(3),
      author: fx.signer,
    })
    const checked = verifyEntry(entry.hash, entry.bytes) // hash, structure and signature
    expect(checked.header).toEqual(entry.header)
    expect(checked.signature).toEqual(entry.signature)
    expect(isLocallySigned(entry)).toBe(true)
  })
})
