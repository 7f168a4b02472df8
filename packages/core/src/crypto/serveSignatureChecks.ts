import { verifyEd25519 } from './sign.ts'
import { unpackSignatureChecks, type SignatureBatchReply } from './signatureBatch.ts'
import { ready } from './sodium.ts'

/** What {@link serveSignatureChecks} needs of a worker's global scope (a Web Worker's `self`). */
export interface SignatureCheckScope {
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
  postMessage(message: SignatureBatchReply, transfer: Transferable[]): void
}

/**
 * The worker side of `createWebVerifierPool`: answers each batch of signature checks the pool
 * sends with `verifyEd25519` (Weft's one rule, then libsodium). Call it once at the top of the
 * worker module the pool's `createWorker` starts (`scope` defaults to the worker's global scope):
 *
 * ```ts fragment
 * // verifier.worker.ts
 * import { serveSignatureChecks } from '@weft/core'
 * serveSignatureChecks()
 * ```
 */
export function serveSignatureChecks(scope: SignatureCheckScope = globalThis as unknown as SignatureCheckScope): void {
  const loaded = ready()
  scope.addEventListener('message', (event) => {
    const { id, batch } = (event.data ?? {}) as { id?: unknown; batch?: unknown }
    if (typeof id !== 'number') return
    void loaded.then(() => {
      try {
        if (!(batch instanceof ArrayBuffer)) throw new TypeError('a signature batch must be an ArrayBuffer')
        const checks = unpackSignatureChecks(batch)
        const verdicts = new Uint8Array(checks.length)
        checks.forEach((c, i) => (verdicts[i] = verifyEd25519(c.message, c.signature, c.publicKey) ? 1 : 0))
        scope.postMessage({ id, verdicts }, [verdicts.buffer])
      } catch (err) {
        scope.postMessage({ id, error: err instanceof Error ? err.message : String(err) }, [])
      }
    })
  })
}
