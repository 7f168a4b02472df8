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
/** A batch is cut into about this many parts per thread, handed out as threads finish, so a slow thread holds little. */
const PARTS_PER_THREAD = 4
/** The fewest checks in a part. */
const MIN_PART = 16
/** Parts a thread holds at once: one being checked, one waiting, so it never idles between parts. */
const IN_FLIGHT = 2

interface Job {
  readonly checks: readonly SignatureCheck[]
  readonly finish: (verdicts: readonly boolean[]) => void
}

interface Worker {
  readonly thread: VerifierThread
  /** Parts sent and not yet answered, by request id. */
  readonly jobs: Map<number, Job>
}

/**
 * A {@link SignatureVerifier} over threads that check Ed25519 signatures with libsodium. Weft's
 * one rule (`passesEd25519Rule`) is applied here, before anything is sent, and the threads run the
 * same libsodium check as `verifyEd25519`: so the pool accepts exactly what the synchronous check
 * accepts. A batch is cut into parts that the threads take as they finish the ones before.
 *
 * Never gives a wrong or a missing answer: a thread that fails (an error, an exit, a reply of the
 * wrong shape) is dropped and what it held is checked on the calling thread; with no thread left,
 * or once closed, every check runs on the calling thread.
 */
export class VerifierPool implements SignatureVerifier {
  readonly minBatch: number
  readonly #workers: Worker[] = []
  /** Parts not yet sent to a thread, oldest first. */
  readonly #queue: Job[] = []
  #nextId = 1
  #closed = false

  constructor(threads: readonly VerifierThread[], options: VerifierPoolOptions = {}) {
    const minBatch = options.minBatch ?? DEFAULT_POOL_MIN_BATCH
    if (!Number.isSafeInteger(minBatch) || minBatch < 1)
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'a verifier pool minBatch must be a whole number of at least 1')
    this.minBatch = minBatch
    for (const thread of threads) {
      const worker: Worker = { thread, jobs: new Map() }
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

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed
  }

  async verifyMany(checks: readonly SignatureCheck[]): Promise<boolean[]> {
    const verdicts = new Array<boolean>(checks.length).fill(false)
    const sent: number[] = []
    checks.forEach((c, i) => passesEd25519Rule(c.signature, c.publicKey) && sent.push(i))
    if (sent.length === 0) return verdicts
    if (this.#workers.length === 0) {
      for (const i of sent) verdicts[i] = checkHere(checks[i]!)
      return verdicts
    }
    const size = Math.max(MIN_PART, Math.ceil(sent.length / (this.#workers.length * PARTS_PER_THREAD)))
    const parts: Promise<void>[] = []
    for (let at = 0; at < sent.length; at += size) {
      const indices = sent.slice(at, at + size)
      parts.push(
        new Promise<readonly boolean[]>((finish) =>
          this.#queue.push({ checks: indices.map((i) => checks[i]!), finish }),
        ).then((v) => indices.forEach((i, k) => (verdicts[i] = v[k]!))),
      )
    }
    this.#pump()
    await Promise.all(parts)
    return verdicts
  }

  /** Stops every thread; checks in flight finish on the calling thread, later ones run there too. */
  async close(): Promise<void> {
    this.#closed = true
    for (const w of [...this.#workers]) this.#drop(w)
  }

  /** Hands queued parts to threads with room; with no thread left, checks them here. */
  #pump(): void {
    if (this.#workers.length === 0) {
      for (let job = this.#queue.shift(); job; job = this.#queue.shift()) job.finish(job.checks.map(checkHere))
      return
    }
    for (const worker of this.#workers) {
      while (worker.jobs.size < IN_FLIGHT && this.#queue.length) {
        const job = this.#queue.shift()!
        const id = this.#nextId++
        worker.jobs.set(id, job)
        const batch = packSignatureChecks(job.checks)
        try {
          worker.thread.post({ id, batch }, [batch])
        } catch {
          this.#drop(worker)
          return
        }
      }
    }
  }

  #reply(worker: Worker, message: unknown): void {
    const m = message as { id?: unknown; verdicts?: unknown } | null
    const job = typeof m?.id === 'number' ? worker.jobs.get(m.id) : undefined
    if (!job || !(m!.verdicts instanceof Uint8Array) || m!.verdicts.length !== job.checks.length) {
      this.#drop(worker)
      return
    }
    worker.jobs.delete(m!.id as number)
    job.finish(Array.from(m!.verdicts, (v) => v === 1))
    this.#pump()
  }

  /** Takes a thread out of the pool; what it held goes back to the queue for the others (or here). */
  #drop(worker: Worker): void {
    const at = this.#workers.indexOf(worker)
    if (at < 0) return
    this.#workers.splice(at, 1)
    try {
      worker.thread.terminate()
    } catch {}
    this.#queue.unshift(...worker.jobs.values())
    worker.jobs.clear()
    this.#pump()
  }
}

/** One check on the calling thread: Weft's rule (already passed) and libsodium, as `verifyEd25519`. */
function checkHere(c: SignatureCheck): boolean {
  return verifyEd25519(c.message, c.signature, c.publicKey)
}
