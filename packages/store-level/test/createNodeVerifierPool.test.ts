import { Worker } from 'node:worker_threads'
import {
  authenticateEntries,
  DEFAULT_ENTRY_LIMITS,
  Domain,
  ErrorCodes,
  hashEntryBytes,
  ready,
  utf8,
  VerifierPool,
  verifyEd25519,
  WeftError,
  type ChangeHash,
  type SignatureCheck,
  type SignatureVerifier,
  type SigningKeyPair,
} from '@weft/core/backend'
import { EntryFactory, envelope, withBadSignature } from '@weft/core/testing'
import fc from 'fast-check'
import sodium from 'libsodium-wrappers-sumo'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNodeVerifierPool, LevelStoreFactory } from '../src/index.ts'
import { tempDir } from './helpers/tempDir.ts'

type Envelope = { hash: ChangeHash; bytes: Uint8Array }
const plain = (e: Envelope): Envelope => ({ hash: e.hash, bytes: e.bytes.slice() })

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

/** The same signature with `S + L` for `S`: the malleable form, which the rule refuses. */
function malleated(e: Envelope): Envelope {
  const bytes = e.bytes.slice()
  const s = bytes.subarray(bytes.length - 32)
  for (let i = 0, carry = 0; i < 32; i++) {
    const v = s[i]! + L[i]! + carry
    s[i] = v & 0xff
    carry = v >> 8
  }
  return { hash: hashEntryBytes(bytes), bytes }
}

/** Re-signed with `R` = the identity and `S = H(R‖A‖M)·a`: WebCrypto alone would accept it, libsodium refuses. */
function identityR(e: Envelope, signer: SigningKeyPair): Envelope {
  const unsigned = e.bytes.subarray(0, e.bytes.length - 64)
  const message = concat(utf8(Domain.entrySignature), new Uint8Array([0]), unsigned)
  const clamped = sodium.crypto_hash_sha512(signer.privateKey.subarray(0, 32)).slice(0, 32)
  clamped[0]! &= 248
  clamped[31]! &= 127
  clamped[31]! |= 64
  const a = sodium.crypto_core_ed25519_scalar_reduce(concat(clamped, new Uint8Array(32)))
  const r = new Uint8Array(32)
  r[0] = 1
  const h = sodium.crypto_core_ed25519_scalar_reduce(sodium.crypto_hash_sha512(concat(r, signer.publicKey, message)))
  const bytes = concat(unsigned, r, sodium.crypto_core_ed25519_scalar_mul(h, a))
  return { hash: hashEntryBytes(bytes), bytes }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) out.set(p, (at += p.length) - p.length)
  return out
}

/** The pool with every round of at least `minBatch` sent to it (by default every round), counting what it was asked. */
function everyRound(pool: SignatureVerifier, minBatch = 1): SignatureVerifier & { asked: number } {
  const v = {
    asked: 0,
    minBatch,
    verifyMany(checks: readonly SignatureCheck[]) {
      v.asked += checks.length
      return pool.verifyMany(checks)
    },
  }
  return v
}

const KINDS = ['good', 'forged', 'identityR', 'malleated'] as const

describe('the Node verifier pool', () => {
  let pool: VerifierPool
  beforeAll(async () => {
    await ready()
    await sodium.ready
    pool = createNodeVerifierPool({ threads: 2 })
  })
  afterAll(() => pool.close())

  it('accepts the same entries as the check on the calling thread, for valid, forged and vouched entries', async () => {
    // Two authors; every entry lists earlier entries of its document, of either author (a same-author
    // link vouches); signatures spoiled in three ways.
    const shape = fc.array(
      fc.record({
        author: fc.nat(1),
        kind: fc.constantFrom(...KINDS),
        deps: fc.array(fc.nat(24), { maxLength: 2 }),
      }),
      { minLength: 1, maxLength: 24 },
    )
    const authors = [new EntryFactory(1), new EntryFactory(1)]
    const verifier = everyRound(pool)
    await fc.assert(
      fc.asyncProperty(shape, async (specs) => {
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
        const accepted = async (options: { verifier?: SignatureVerifier }) => {
          const outcomes = await authenticateEntries(made.map(plain), DEFAULT_ENTRY_LIMITS, options)
          return made.filter((_, i) => !(outcomes[i] instanceof WeftError)).map((m) => m.hash)
        }
        expect(await accepted({ verifier })).toEqual(await accepted({}))
      }),
      { numRuns: 40 },
    )
    expect(verifier.asked).toBeGreaterThan(0)
  })

  it('gives the verdict of verifyEd25519 for every check, bad lengths and flipped bits included', async () => {
    const signer = new EntryFactory(1).signer
    const message = utf8('a message to sign')
    const signature = sodium.crypto_sign_detached(message, signer.privateKey)
    const check = fc.record({
      at: fc.nat(32 + 64 + message.length - 1),
      bit: fc.nat(7),
      flip: fc.boolean(),
      cut: fc.constantFrom(0, 0, 0, 1),
    })
    await fc.assert(
      fc.asyncProperty(fc.array(check, { minLength: 20, maxLength: 60 }), async (specs) => {
        const checks = specs.map(({ at, bit, flip, cut }) => {
          const all = concat(signer.publicKey, signature, message)
          if (flip) all[at]! ^= 1 << bit
          return {
            publicKey: all.subarray(0, 32 - cut),
            signature: all.subarray(32, 96),
            message: all.subarray(96),
          }
        })
        const expected = checks.map((c) => verifyEd25519(c.message, c.signature, c.publicKey))
        expect(await pool.verifyMany(checks)).toEqual(expected)
      }),
      { numRuns: 20 },
    )
  })

  it('answers every check it holds when closed mid-batch, and on the calling thread after that', async () => {
    const own = createNodeVerifierPool({ threads: 2 })
    const f = new EntryFactory(400)
    const entries = f.entries(400).map(plain)
    const forged = new Set(entries.filter((_, i) => i % 7 === 0).map((e) => e.hash))
    const list = entries.map((e) => (forged.has(e.hash) ? withBadSignature(e) : e))
    const verifier = everyRound(own)
    const running = authenticateEntries(list, DEFAULT_ENTRY_LIMITS, { verifier })
    await own.close()
    const outcomes = await running
    expect(own.size).toBe(0)
    expect(outcomes.filter((o) => o instanceof WeftError)).toHaveLength(forged.size)
    const again = await authenticateEntries(list, DEFAULT_ENTRY_LIMITS, { verifier })
    expect(again.map((o) => o instanceof WeftError)).toEqual(outcomes.map((o) => o instanceof WeftError))
  })

  it('drops a thread that exits and checks what it held on the calling thread', async () => {
    const dying = new Worker('process.exit(3)', { eval: true })
    const broken = new VerifierPool([
      {
        post: (request, transfer) => dying.postMessage(request, transfer),
        listen: ({ reply, failed }) => void dying.on('message', reply).on('exit', failed),
        terminate: () => dying.terminate(),
      },
    ])
    const signer = new EntryFactory(1).signer
    const message = utf8('checked after all')
    const signature = sodium.crypto_sign_detached(message, signer.privateKey)
    const checks = Array.from({ length: 40 }, (_, i) => ({
      publicKey: signer.publicKey,
      signature: i % 2 ? signature : new Uint8Array(64),
      message,
    }))
    expect(await broken.verifyMany(checks)).toEqual(checks.map((_, i) => i % 2 === 1))
    expect(broken.size).toBe(0)
  })

  it('refuses a pool of no threads or of too many', () => {
    expect(() => createNodeVerifierPool({ threads: 0 })).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }),
    )
    expect(() => createNodeVerifierPool({ threads: 17 })).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }),
    )
  })

  it("checks a LevelDB store's wire batch on its threads, with the same outcome", async () => {
    const dir = await tempDir()
    const verifier = everyRound(pool, 64)
    const pooled = new LevelStoreFactory({ path: `${dir.path}/pooled`, storeOptions: { verifier } })
    const alone = new LevelStoreFactory({ path: `${dir.path}/alone` })
    try {
      const f = new EntryFactory(300)
      const list = f.entries(300).map((e, i) => (i % 10 === 0 ? withBadSignature(e) : plain(e)))
      const a = await (await pooled.openChangeStore('t/db')).appendMany(list)
      const b = await (await alone.openChangeStore('t/db')).appendMany(list)
      expect(a.added).toEqual(b.added)
      expect(a.rejected.map((r) => [r.hash, r.error.code])).toEqual(b.rejected.map((r) => [r.hash, r.error.code]))
      expect(a.rejected).toHaveLength(30)
      expect(verifier.asked).toBe(300)
    } finally {
      await pooled.close()
      await alone.close()
      await dir.remove()
    }
  })
})
