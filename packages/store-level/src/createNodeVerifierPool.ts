import { availableParallelism } from 'node:os'
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { ErrorCodes, WeftError, type VerifierPoolOptions } from '@weft/core'
import { VerifierPool, type VerifierThread } from '@weft/core/backend'

/** Options of {@link createNodeVerifierPool}. */
export interface NodeVerifierPoolOptions extends VerifierPoolOptions {
  /** How many worker threads (default: the machine's available parallelism, at most 16). */
  readonly threads?: number
}

const MAX_THREADS = 16

/**
 * The worker's loop, a self-contained script (so it runs the same from the sources and from an
 * installed package): libsodium's `crypto_sign_verify_detached` over each check of a batch packed
 * by `packSignatureChecks` (`count`, message lengths, `publicKey ‖ signature` pairs, messages). The
 * pool applied Weft's Ed25519 rule before sending, so with it this is exactly `verifyEd25519`.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const sodium = require(workerData.sodium)
const loaded = sodium.ready
function answer(buffer) {
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < 4) throw new RangeError('bad signature batch')
  const view = new DataView(buffer)
  const bytes = new Uint8Array(buffer)
  const n = view.getUint32(0, true)
  let at = 4 + 100 * n
  if (at > buffer.byteLength) throw new RangeError('signature batch too short for its count')
  const verdicts = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    const length = view.getUint32(4 + 4 * i, true)
    if (at + length > buffer.byteLength) throw new RangeError('signature batch message past its end')
    const fixed = 4 + 4 * n + 96 * i
    let ok = false
    try {
      ok = sodium.crypto_sign_verify_detached(
        bytes.subarray(fixed + 32, fixed + 96), bytes.subarray(at, at + length), bytes.subarray(fixed, fixed + 32))
    } catch {}
    verdicts[i] = ok ? 1 : 0
    at += length
  }
  if (at !== buffer.byteLength) throw new RangeError('signature batch has bytes past its last message')
  return verdicts
}
parentPort.on('message', (m) => {
  loaded.then(() => {
    const id = m && m.id
    try {
      const verdicts = answer(m && m.batch)
      parentPort.postMessage({ id, verdicts }, [verdicts.buffer])
    } catch (err) {
      parentPort.postMessage({ id, error: String((err && err.message) || err) })
    }
  })
})
`

/**
 * A pool of Node worker threads that check Ed25519 signatures with libsodium, each thread loading
 * its own copy. Give it to the stores that take entries from the network (the store option
 * `verifier`, for example `new LevelStoreFactory({ path, storeOptions: { verifier } })`): a batch
 * of at least `minBatch` signatures is then split across the threads, smaller ones are checked on
 * the calling thread. What it accepts is exactly what the synchronous check accepts.
 *
 * The threads do not keep the process alive. Close the pool once the stores that use it are
 * closed; a closed pool still answers, on the calling thread.
 */
export function createNodeVerifierPool(options: NodeVerifierPoolOptions = {}): VerifierPool {
  const threads = options.threads ?? Math.min(MAX_THREADS, availableParallelism())
  if (!Number.isSafeInteger(threads) || threads < 1 || threads > MAX_THREADS)
    throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `a verifier pool has 1 to ${MAX_THREADS} threads`)
  const sodium = createRequire(import.meta.url).resolve('libsodium-wrappers-sumo')
  return new VerifierPool(
    Array.from({ length: threads }, () =>
      nodeThread(new Worker(WORKER_SOURCE, { eval: true, workerData: { sodium } })),
    ),
    options,
  )
}

function nodeThread(worker: Worker): VerifierThread {
  worker.unref()
  return {
    post: (request, transfer) => worker.postMessage(request, transfer),
    listen({ reply, failed }) {
      worker.on('message', reply)
      worker.on('error', failed)
      worker.on('messageerror', failed)
      worker.on('exit', failed)
    },
    terminate: () => worker.terminate(),
  }
}
