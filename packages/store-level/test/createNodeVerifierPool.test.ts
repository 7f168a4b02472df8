import { Worker } from 'node:worker_threads'
import {
  authenticateEntries,
  DEFAULT_ENTRY_LIMITS,
  ErrorCodes,
  ready,
  utf8,
  VerifierPool,
  verifyEd25519,
  WeftError,
  type SignatureCheck,
  type SignatureVerifier,
} from '@weft/core/backend'
import { EntryFactory, withBadSignature } from '@weft/core/testing'
import fc from 'fast-check'
import sodium from 'libsodium-wrappers-sumo'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNodeVerifierPool, LevelStoreFactory } from '../src/index.ts'
import { tempDir } from './helpers/tempDir.ts'
import { batchShape, concat, makeBatch, type Envelope } from '../../../test/helpers/spoiledBatches.ts'

const plain = (e: Envelope): Envelope => ({ hash: e.hash, bytes: e.bytes.slice() })

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

describe('the Node verifier pool', () => {
  let pool: VerifierPool
  beforeAll(async () => {
    await ready()
    await sodium.ready
    pool = createNodeVerifierPool({ threads: 2 })
  })
  afterAll(() => pool.close())

  it('accepts the same entries as the check on the calling thread, for valid, forged and vouched entries', async () => {
    const authors = [new EntryFactory(1), new EntryFactory(1)]
    const verifier = everyRound(pool)
    await fc.assert(
      fc.asyncProperty(batchShape(), async (specs) => {
        const made = makeBatch(specs, authors)
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
      // A round below the pool's minBatch stays on the calling thread.
      const small = new EntryFactory(10).entries(10).map(plain)
      expect((await (await pooled.openChangeStore('t/db')).appendMany(small)).added).toHaveLength(10)
      expect(verifier.asked).toBe(300)
    } finally {
      await pooled.close()
      await alone.close()
      await dir.remove()
    }
  })
})
