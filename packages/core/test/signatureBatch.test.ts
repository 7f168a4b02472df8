import { MessageChannel } from 'node:worker_threads'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  generateSigningKeyPair,
  packSignatureChecks,
  ready,
  serveSignatureChecks,
  sodium,
  unpackSignatureChecks,
  VerifierPool,
  verifyEd25519,
  type SignatureBatchReply,
  type SignatureCheckScope,
  type VerifierThread,
} from '../src/crypto/index.ts'
import { ErrorCodes } from '../src/errors.ts'

const check = fc.record({
  publicKey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  message: fc.uint8Array({ maxLength: 300 }),
})

/** `serveSignatureChecks` on one end of a real MessageChannel, as a pool thread on the other. */
function channelThread(): VerifierThread & { port: MessageChannel['port1'] } {
  const { port1, port2 } = new MessageChannel()
  serveSignatureChecks(port2 as unknown as SignatureCheckScope)
  return {
    port: port1,
    post: (request, transfer) => port1.postMessage(request, transfer),
    listen: ({ reply }) => void port1.on('message', reply),
    terminate: () => {
      port1.close()
      port2.close()
    },
  }
}

describe('signature batches for verifier threads', () => {
  beforeAll(ready)

  it('packs checks into one buffer and reads back the same bytes', () => {
    fc.assert(
      fc.property(fc.array(check, { maxLength: 20 }), (checks) => {
        const back = unpackSignatureChecks(packSignatureChecks(checks))
        expect(back.map((c) => [c.publicKey, c.signature, c.message].map((b) => [...b]))).toEqual(
          checks.map((c) => [c.publicKey, c.signature, c.message].map((b) => [...b])),
        )
      }),
    )
  })

  it('refuses a buffer whose lengths do not add up, never reading past it', () => {
    fc.assert(
      fc.property(fc.array(check, { minLength: 1, maxLength: 5 }), fc.nat(), (checks, cut) => {
        const whole = packSignatureChecks(checks)
        const short = whole.slice(0, cut % whole.byteLength)
        expect(() => unpackSignatureChecks(short)).toThrow(RangeError)
        const long = new Uint8Array(whole.byteLength + 1)
        long.set(new Uint8Array(whole))
        expect(() => unpackSignatureChecks(long.buffer)).toThrow(RangeError)
      }),
    )
  })

  it('serves verdicts over a message port, and an error for a batch it cannot read', async () => {
    const thread = channelThread()
    const replies: SignatureBatchReply[] = []
    const next = () => new Promise<SignatureBatchReply>((r) => thread.port.once('message', r))
    const key = generateSigningKeyPair()
    const message = new Uint8Array([1, 2, 3])
    const signature = sodium().crypto_sign_detached(message, key.privateKey)
    const batch = packSignatureChecks([
      { message, signature, publicKey: key.publicKey },
      { message: new Uint8Array([9]), signature, publicKey: key.publicKey },
    ])
    thread.post({ id: 1, batch }, [batch])
    replies.push(await next())
    thread.port.postMessage({ id: 2, batch: new ArrayBuffer(3) })
    replies.push(await next())
    thread.terminate()
    expect(replies[0]).toEqual({ id: 1, verdicts: new Uint8Array([1, 0]) })
    expect(replies[1]).toMatchObject({ id: 2, error: expect.any(String) })
  })

  it('drops a thread whose reply is out of shape and checks its part on the calling thread', async () => {
    const { port1, port2 } = new MessageChannel()
    // A thread that answers every request with verdicts of the wrong length.
    port2.on('message', ({ id }: { id: number }) => port2.postMessage({ id, verdicts: new Uint8Array(1) }))
    const pool = new VerifierPool([
      {
        post: (request, transfer) => port1.postMessage(request, transfer),
        listen: ({ reply }) => void port1.on('message', reply),
        terminate: () => port1.close(),
      },
      channelThread(),
    ])
    const key = generateSigningKeyPair()
    const checks = Array.from({ length: 80 }, (_, i) => {
      const message = new Uint8Array([i])
      const signature = sodium().crypto_sign_detached(message, key.privateKey)
      return { message: i % 3 ? message : new Uint8Array([i, 0]), signature, publicKey: key.publicKey }
    })
    expect(await pool.verifyMany(checks)).toEqual(checks.map((c) => verifyEd25519(c.message, c.signature, c.publicKey)))
    expect(pool.size).toBe(1)
    await pool.close()
    expect(pool.size).toBe(0)
  })

  it('refuses a minBatch below 1', () => {
    expect(() => new VerifierPool([], { minBatch: 0 })).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }),
    )
  })
})
