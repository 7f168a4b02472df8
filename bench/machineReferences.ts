import * as A from '@automerge/automerge'
import { ready } from '@weft/core'
import {
  blake2b256,
  decryptCommitted,
  Domain,
  encryptCommitted,
  generateKey,
  generateNonce,
  generateSigningKeyPair,
  signDetached,
  verifyDetached,
} from './internals.ts'
import { opsPerSecond, type MachineFigure } from './report.ts'

/**
 * The raw costs DESIGN.md §8 quotes, measured again in this run through the engine's own crypto
 * wrappers (domain-separated signatures, key-committed AEAD), so a reader can tell how this
 * machine compares with the one the targets were set on.
 */
export async function measureMachine(): Promise<MachineFigure[]> {
  await ready()
  const message = globalThis.crypto.getRandomValues(new Uint8Array(256)) // about one entry
  const small = globalThis.crypto.getRandomValues(new Uint8Array(200))
  const signer = generateSigningKeyPair()
  const signature = signDetached(Domain.entrySignature, message, signer.privateKey)
  const key = generateKey()
  const nonce = generateNonce()
  const ad = new Uint8Array(120)

  const verify = opsPerSecond(() => {
    if (!verifyDetached(Domain.entrySignature, message, signature, signer.publicKey)) throw new Error('verify failed')
  })
  const sign = opsPerSecond(() => void signDetached(Domain.entrySignature, message, signer.privateKey))
  const aead = opsPerSecond(() => {
    const sealed = encryptCommitted(small, key, nonce, ad)
    if (!decryptCommitted(sealed, key, nonce, ad)) throw new Error('decrypt failed')
  })
  const hash = opsPerSecond(() => void blake2b256(small), 300, 1000)

  let doc = A.init<Record<string, number>>()
  let i = 0
  const automerge = opsPerSecond(() => {
    const n = i++
    doc = A.change(doc, (d) => {
      d[`k${n % 100}`] = n
    })
  }, 400)
  A.free(doc)

  return [
    { name: 'Ed25519 verify (256 B, domain-separated)', perSecond: verify, design: 8_400 },
    { name: 'Ed25519 sign (256 B, domain-separated)', perSecond: sign, design: 20_000 },
    { name: 'XChaCha20-Poly1305 enc+dec, committed (200 B)', perSecond: aead, design: 180_000 },
    { name: 'BLAKE2b-256 (200 B)', perSecond: hash, design: 1_200_000 },
    { name: 'Automerge changes created on one document', perSecond: automerge, design: 6_000 },
  ]
}
