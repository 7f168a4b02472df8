import { ErrorCodes, WeftError } from '@weft/core'

/**
 * Where a live sync stands, for a UI to show:
 * - `offline`: no link to the server; `pending` local entries wait for it, `retryInMs` until the
 *   next attempt, `error` why it dropped.
 * - `syncing`: linked, catching up or sending.
 * - `up-to-date`: linked and caught up; `pending` local entries the server has not confirmed yet.
 * - `error`: stopped on a failure retrying cannot fix (a revoked or unregistered key).
 *
 * `refused`, in any state but `error`, counts the local entries the server refused on their last
 * push (for example `WEFT_QUOTA_EXCEEDED`): they are kept locally and offered again on the next
 * connection, but until one is taken the server does not have everything.
 */
export type SyncStatus =
  | {
      readonly state: 'offline'
      readonly pending: number
      readonly retryInMs?: number
      readonly error?: WeftError
      readonly refused?: Refusals
    }
  | { readonly state: 'syncing'; readonly pending: number; readonly refused?: Refusals }
  | { readonly state: 'up-to-date'; readonly pending: number; readonly refused?: Refusals }
  | { readonly state: 'error'; readonly error: WeftError }

/** Local entries the server refused: how many, and the error of the oldest refusal still standing. */
export interface Refusals {
  readonly count: number
  readonly error: WeftError
}

/** A value that changes over time, behind `peek()`, `subscribe()` and `whenReady()`. */
export class StatusCell {
  #value: SyncStatus
  readonly #listeners = new Set<(s: SyncStatus) => void>()

  constructor(initial: SyncStatus) {
    this.#value = initial
  }

  /** The status now. */
  peek(): SyncStatus {
    return this.#value
  }

  /** Calls `listener` with every new status; returns an unsubscribe function. */
  subscribe(listener: (s: SyncStatus) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /**
   * Resolves when the sync is `up-to-date` with nothing pending; rejects with the error when it
   * stops on `error`, with the refusal's error when it is up to date but the server refused some
   * local entries (see {@link Refusals}), or with `WEFT_ABORTED` through `signal`.
   */
  whenReady(options: { signal?: AbortSignal } = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (s: SyncStatus): boolean => {
        if (s.state === 'up-to-date' && s.pending === 0) {
          if (s.refused) reject(s.refused.error)
          else resolve()
        } else if (s.state === 'error') reject(s.error)
        else return false
        return true
      }
      if (check(this.#value)) return
      const onAbort = () => {
        off()
        reject(new WeftError(ErrorCodes.ABORTED, 'stopped waiting'))
      }
      const off = this.subscribe((s) => {
        if (check(s)) {
          off()
          options.signal?.removeEventListener('abort', onAbort)
        }
      })
      if (options.signal?.aborted) onAbort()
      else options.signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** @internal */
  set(value: SyncStatus): void {
    if (sameStatus(this.#value, value)) return
    this.#value = value
    for (const l of [...this.#listeners]) l(value)
  }
}

/** Shallow equality of two statuses, so subscribers hear only of changes. */
function sameStatus(a: SyncStatus, b: SyncStatus): boolean {
  const x = a as Record<string, unknown>
  const y = b as Record<string, unknown>
  const keys = new Set([...Object.keys(x), ...Object.keys(y)])
  for (const k of keys) if (x[k] !== y[k]) return false
  return true
}
