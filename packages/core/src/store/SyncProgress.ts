/**
 * Where a sync stands: `reconcile` while the two sides work out what is missing, `copy` as
 * batches land (with `totalEntries` known), and one final `done`. `entries` and `bytes` count what
 * was read from the source so far (added, already held, or refused), so they only grow.
 */
export interface SyncProgress {
  readonly phase: 'reconcile' | 'copy' | 'done'
  readonly entries: number
  /** Entries to copy, once the difference is known. */
  readonly totalEntries?: number
  /** Bytes of the entries read so far. */
  readonly bytes: number
}

/** Options every sync that copies entries takes for progress. */
export interface ProgressOptions {
  /** Called with progress: at most once per `progressInterval`, and always for the first and the last report. */
  readonly onProgress?: (progress: SyncProgress) => void
  /** Milliseconds between reports (default 100). */
  readonly progressInterval?: number
}

/** Throttles progress reports; the final one (`done`) always goes out. */
export class ProgressReporter {
  readonly #report: ((p: SyncProgress) => void) | undefined
  readonly #interval: number
  #last = -Infinity

  constructor(options: ProgressOptions) {
    this.#report = options.onProgress
    this.#interval = options.progressInterval ?? 100
  }

  report(progress: SyncProgress): void {
    if (!this.#report) return
    const now = performance.now()
    if (progress.phase === 'copy' && now - this.#last < this.#interval) return
    this.#last = now
    this.#report(progress)
  }
}
