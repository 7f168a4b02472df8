/**
 * Batches of entries with valid, forged and vouched signatures, for the properties that compare a
 * signature verifier pool with the check on the calling thread (Node worker threads and Chromium's
 * Web Workers). Signatures are spoiled in three ways: a flipped bit, the malleable `S + L` form,
 * and an identity `R` that WebCrypto alone would accept.
 */
import { Domain, hashEntryBytes, utf8, type ChangeHash, type SigningKeyPair } from '@weft/core/backend'
import { EntryFactory, envelope, withBadSignature } from '@weft/core/testing'
import fc from 'fast-check'
import sodium from 'libsodium-wrappers-sumo'

export type Envelope = { hash: ChangeHash; bytes: Uint8Array }

export const SPOILS = ['good', 'forged', 'identityR', 'malleated'] as const
export type Spoil = (typeof SPOILS)[number]

/** One entry of a batch: its author (0 or 1), its signature, and which earlier entries it lists. */
export interface EntrySpec {
  readonly author: number
  readonly kind: Spoil
  readonly deps: readonly number[]
}

/** Batch shapes: two authors, entries of one document listing earlier ones (a same-author link vouches). */
export const batchShape = (maxLength = 24): fc.Arbitrary<EntrySpec[]> =>
  fc.array(
    fc.record({
      author: fc.nat(1),
      kind: fc.constantFrom(...SPOILS),
      deps: fc.array(fc.nat(maxLength), { maxLength: 2 }),
    }),
    { minLength: 1, maxLength },
  )

/** Makes the entries of a shape, signed by `authors` (two of them). */
export function makeBatch(specs: readonly EntrySpec[], authors: readonly EntryFactory[]): Envelope[] {
  const made: Envelope[] = []
  for (const s of specs) {
    const deps = [...new Set(s.deps.filter((d) => d < made.length).map((d) => made[d]!.hash))]
    const f = authors[s.author]!
    const e = envelope(f.entry(0, deps))
    made.push(
      s.kind === 'good'
        ? e
        : s.kind === 'forged'
          ? withBadSignature(e)
          : s.kind === 'malleated'
            ? malleated(e)
            : identityR(e, f.signer),
    )
  }
  return made
}

/** The group order L, little-endian. */
const L = Uint8Array.from([
  0xed,
  0xd3,
  0xf5,
  0x5c,
  0x1a,
  0x63,
  0x12,
  0x58,
  0xd6,
  0x9c,
  0xf7,
  0xa2,
  0xde,
  0xf9,
  0xde,
  0x14,
  ...new Array(15).fill(0),
  0x10,
])

/** The same signature with `S + L` for `S`: the malleable form, which Weft's rule refuses. */
export function malleated(e: Envelope): Envelope {
  const bytes = e.bytes.slice()
  const s = bytes.subarray(bytes.length - 32)
  for (let i = 0, carry = 0; i < 32; i++) {
    const v = s[i]! + L[i]! + carry
    s[i] = v & 0xff
    carry = v >> 8
  }
  return { hash: hashEntryBytes(bytes), bytes }
}

/**
 * Re-signed with `R` = the identity and `S = H(R‖A‖M)·a`: WebCrypto alone would accept it, libsodium
 * refuses. Needs libsodium loaded (`await ready()`).
 */
export function identityR(e: Envelope, signer: SigningKeyPair): Envelope {
  const s = sodium
  const unsigned = e.bytes.subarray(0, e.bytes.length - 64)
  const message = concat(utf8(Domain.entrySignature), new Uint8Array([0]), unsigned)
  const clamped = s.crypto_hash_sha512(signer.privateKey.subarray(0, 32)).slice(0, 32)
  clamped[0]! &= 248
  clamped[31]! &= 127
  clamped[31]! |= 64
  const a = s.crypto_core_ed25519_scalar_reduce(concat(clamped, new Uint8Array(32)))
  const r = new Uint8Array(32)
  r[0] = 1
  const h = s.crypto_core_ed25519_scalar_reduce(s.crypto_hash_sha512(concat(r, signer.publicKey, message)))
  const bytes = concat(unsigned, r, s.crypto_core_ed25519_scalar_mul(h, a))
  return { hash: hashEntryBytes(bytes), bytes }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) out.set(p, (at += p.length) - p.length)
  return out
}
