import { ErrorCodes, WeftError } from '../errors.ts'
import { passesEd25519Rule } from './ed25519Rule.ts'
import { verifyEd25519 } from './sign.ts'
import { packSignatureChecks, type SignatureBatchRequest } from './signatureBatch.ts'
import type { SignatureCheck, SignatureVerifier } from './SignatureVerifier.ts'

/**
 * One thread of a {@link VerifierPool}, as the pool sees it: a Node worker thread or a Web Worker
 * running a signature-check loop (`serveSignatureChecks`, or the Node pool's own).
 */
export interface VerifierThread {
  /** Sends a request, moving the listed buffers to the thread. */
  post(request: SignatureBatchRequest, transfer: ArrayBuffer[]): void
  /** Called once by the pool: every message the thread sends, and its failure (an error or an exit). */
  listen(handlers: { reply(message: unknown): void; failed(reason: unknown): void }): void
  terminate(): unknown
}

/** Options of a {@link VerifierPool}. */
export interface VerifierPoolOptions {
  /** The fewest signatures a batch must hold to go to the threads (default 64). */
  readonly minBatch?: number
}

/** Below this, a round trip to another thread costs more than the checks it spares (measured). */
export const DEFAULT_POOL_MIN_BATCH = 64
/** A thread gets at least this many checks of a batch, so small batches do not scatter. */
const MIN_CHUNK = 16

interface Job {
  readonly checks: readonly SignatureCheck[]
  readonly finish: (verdicts: readonly boolean[]) => void
}

interface Worker {
  readonly thread: VerifierThread
  readonly jobs: Map<number, Job>
  /** Checks sent and not yet answered, for balancing. */
  load: number
}

/**
 * A {@link SignatureVerifier} over threads that check Ed25519 signatures with libsodium. Weft's
 * one rule (`passesEd25519Rule`) is applied here, before anything is sent, and the threads run the
 * same libsodium check as `verifyEd25519`: so the pool accepts exactly what the synchronous check
 * accepts. A batch is split across the threads, the least loaded first.
 *
 * Never gives a wrong or a missing answer: a thread that fails (an error, an exit, a reply of the
 * wrong shape) is dropped and what it held is checked on the calling thread; with no thread left,
 * or once closed, every check runs on the calling thread.
 */
export class VerifierPool implements SignatureVerifier {
  readonly minBatch: number
  readonly #workers: Worker[] = []
  #nextId = 1
  #closed = false

  constructor(threads: readonly VerifierThread[], options: VerifierPoolOptions = {}) {
    const minBatch = options.minBatch ?? DEFAULT_POOL_MIN_BATCH
    if (!Number.isSafeInteger(minBatch) || minBatch < 1)
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'a verifier pool minBatch must be a whole number of at least 1')
    this.minBatch = minBatch
    for (const thread of threads) {
      const worker: Worker = { thread, jobs: new Map(), load: 0 }
      this.#workers.push(worker)
      thread.listen({
        reply: (m) => this.#reply(worker, m),
        failed: () => this.#drop(worker),
      })
    }
  }

  /** How many threads are working (fewer than given once some failed; 0 once closed). */
  get size(): number {
    return this.#workers.length
  }

  async verifyMany(checks: readonly SignatureCheck[]): Promise<boolean[]> {
    const verdicts = new Array<boolean>(checks.length).fill(false)
    const sent: number[] = []
    checks.forEach((c, i) => passesEd25519Rule(c.signature, c.publicKey) && sent.push(i))
    if (sent.length === 0) return verdicts
    const parts = Math.min(this.#workers.length, Math.ceil(sent.length / MIN_CHUNK))
    if (parts === 0) {
      for (const i of sent) verdicts[i] = verifyEd25519(checks[i]!.message, checks[i]!.signature, checks[i]!.publicKey)
      return verdicts
    }
    const size = Math.ceil(sent.length / parts)
    await Promise.all(
      Array.from({ length: parts }, (_, p) => {
        const indices = sent.slice(p * size, (p + 1) * size)
        return this.#send(indices.map((i) => checks[i]!)).then((v) => indices.forEach((i, k) => (verdicts[i] = v[k]!)))
      }),
    )
    return verdicts
  }

  /** Stops every thread; checks in flight finish on the calling thread, later ones run there too. */
  async close(): Promise<void> {
    this.#closed = true
    for (const w of [...this.#workers]) this.#drop(w)
  }

  #send(checks: readonly SignatureCheck[]): Promise<readonly boolean[]> {
    const worker = this.#workers.reduce((a, b) => (b.load < a.load ? b : a))
    const id = this.#nextId++
    return new Promise((resolve) => {
      worker.jobs.set(id, { checks, finish: resolve })
      worker.load += checks.length
      const batch = packSignatureChecks(checks)
      try {
        worker.thread.post({ id, batch }, [batch])
      } catch {
        this.#drop(worker)
      }
    })
  }

  #reply(worker: Worker, message: unknown): void {
    const m = message as { id?: unknown; verdicts?: unknown } | null
    const job = typeof m?.id === 'number' ? worker.jobs.get(m.id) : undefined
    if (!job || !(m!.verdicts instanceof Uint8Array) || m!.verdicts.length !== job.checks.length) {
      this.#drop(worker)
      return
    }
    worker.jobs.delete(m!.id as number)
    worker.load -= job.checks.length
    const verdicts = m!.verdicts
    job.finish(Array.from(verdicts, (v) => v === 1))
  }

  /** Takes a thread out of the pool and checks what it held here, with the same rule and library. */
  #drop(worker: Worker): void {
    const at = this.#workers.indexOf(worker)
    if (at < 0) return
    this.#workers.splice(at, 1)
    try {
      worker.thread.terminate()
    } catch {}
    for (const job of worker.jobs.values())
      job.finish(job.checks.map((c) => verifyEd25519(c.message, c.signature, c.publicKey)))
    worker.jobs.clear()
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed
  }
}
