import { ErrorCodes, WeftError } from '../errors.ts'
import { VerifierPool, type VerifierPoolOptions, type VerifierThread } from './VerifierPool.ts'

/** Options of {@link createWebVerifierPool}. */
export interface WebVerifierPoolOptions extends VerifierPoolOptions {
  /**
   * Starts one worker whose module calls `serveSignatureChecks(self)`; your bundler resolves it,
   * for example `() => new Worker(new URL('./verifier.worker.ts', import.meta.url), { type: 'module' })`.
   */
  readonly createWorker: () => Worker
  /** How many workers (default `navigator.hardwareConcurrency`, at least 1, at most 16). */
  readonly size?: number
}

const MAX_WORKERS = 16

/**
 * A {@link VerifierPool} of Web Workers, for a browser store's large batches (pass it as the
 * store option `verifier`). Close it with `close()` when the stores that use it are closed.
 */
export function createWebVerifierPool(options: WebVerifierPoolOptions): VerifierPool {
  const size = options.size ?? Math.min(MAX_WORKERS, Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 1))
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_WORKERS)
    throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `a verifier pool has 1 to ${MAX_WORKERS} workers`)
  const threads = Array.from({ length: size }, () => webThread(options.createWorker()))
  return new VerifierPool(threads, options)
}

function webThread(worker: Worker): VerifierThread {
  return {
    post: (request, transfer) => worker.postMessage(request, transfer),
    listen({ reply, failed }) {
      worker.addEventListener('message', (e) => reply(e.data))
      worker.addEventListener('error', (e) => failed(e))
      worker.addEventListener('messageerror', (e) => failed(e))
    },
    terminate: () => worker.terminate(),
  }
}
