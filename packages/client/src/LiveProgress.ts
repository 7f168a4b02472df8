import type { ProgressOptions, SyncProgress } from '@weft/core'
import { ProgressReporter } from '@weft/core/backend'

/** What one catch-up of a live sync moved, once it is up to date. */
export interface LiveSyncCompleted {
  /** Entries read from the server (its catch-up pages and what reconciliation fetched), and bytes. */
  readonly received: number
  /** Local entries offered to the server (taken, already held or refused). */
  readonly sent: number
  readonly bytes: number
  readonly durationMs: number
}

/** Events of a {@link LiveSync}, by kebab-case name. */
export interface LiveSyncEvents extends Record<string, unknown> {
  /** How far the current catch-up is (throttled like every sync's progress; the last one is `done`). */
  'sync-progress': SyncProgress
  /** A catch-up ended: the sync is up to date with nothing pending. */
  'sync-completed': LiveSyncCompleted
}

/**
 * The progress of a live sync's catch-ups. A catch-up (a run) opens when the sync starts working
 * (a connection's catch-up, or local entries to send) and ends, with one `done` report, when the
 * sync is up to date with nothing pending; a drop in between does not end it, the next connection
 * goes on counting. Entries and bytes only grow within a run; `totalEntries` is what was read plus
 * what is known to be left (local entries to send, entries reconciliation found missing), once
 * known.
 */
export class LiveProgress {
  readonly #options: ProgressOptions
  readonly #emit: <K extends keyof LiveSyncEvents>(event: K, payload: LiveSyncEvents[K]) => void
  #run:
    | { reporter: ProgressReporter; received: number; sent: number; bytes: number; left?: number; started: number }
    | undefined

  constructor(
    options: ProgressOptions,
    emit: <K extends keyof LiveSyncEvents>(event: K, payload: LiveSyncEvents[K]) => void,
  ) {
    this.#options = options
    this.#emit = emit
  }

  /** Whether a run is open. */
  get running(): boolean {
    return this.#run !== undefined
  }

  /** Opens a run when none is open, with a first report. */
  begin(phase: 'reconcile' | 'copy' = 'copy', left?: number): void {
    if (this.#run) return
    const onProgress = this.#options.onProgress
    const reporter = new ProgressReporter({
      ...this.#options,
      onProgress: (p) => {
        onProgress?.(p)
        this.#emit('sync-progress', p)
      },
    })
    this.#run = { reporter, received: 0, sent: 0, bytes: 0, started: performance.now() }
    if (left !== undefined) this.#run.left = left
    this.#report(phase)
  }

  /** Reconciliation is working out what either side lacks. */
  reconciling(): void {
    if (this.#run) this.#report('reconcile')
    else this.begin('reconcile')
  }

  /** What is known to be left: entries to fetch plus local entries to send. */
  expect(left: number): void {
    if (!this.#run) return
    this.#run.left = left
    this.#report('copy')
  }

  /**
   * Entries read from the server (`received`) or offered to it (`sent`), opening a run if none is;
   * `left` is what is known to be left after them.
   */
  moved(direction: 'received' | 'sent', entries: readonly { bytes: Uint8Array }[], left: number): void {
    if (entries.length === 0) return
    this.begin()
    const run = this.#run!
    run[direction] += entries.length
    for (const e of entries) run.bytes += e.bytes.length
    run.left = left
    this.#report('copy')
  }

  /** Up to date with nothing pending: the run ends with its `done` report. */
  finish(): void {
    const run = this.#run
    if (!run) return
    this.#run = undefined
    const entries = run.received + run.sent
    run.reporter.report({ phase: 'done', entries, totalEntries: entries, bytes: run.bytes })
    this.#emit('sync-completed', {
      received: run.received,
      sent: run.sent,
      bytes: run.bytes,
      durationMs: performance.now() - run.started,
    })
  }

  #report(phase: 'reconcile' | 'copy'): void {
    const run = this.#run!
    const entries = run.received + run.sent
    run.reporter.report({
      phase,
      entries,
      ...(run.left !== undefined ? { totalEntries: entries + run.left } : {}),
      bytes: run.bytes,
    })
  }
}
