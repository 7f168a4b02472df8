/** How a failing relationship waits before its next try. */
export interface BackoffOptions {
  /** Delay after the first failure, before jitter. Default 1 s. */
  readonly initialMs?: number
  /** Upper bound of the delay. Default 5 min. */
  readonly maxMs?: number
  /** Growth per consecutive failure. Default 2. */
  readonly factor?: number
}

/**
 * Exponential backoff with "equal jitter": after `failures` consecutive failures the delay is
 * `d/2 + random·d/2` with `d = min(maxMs, initialMs·factor^(failures-1))`, so retries of many
 * relationships that failed together spread out instead of arriving at once.
 */
export function backoffDelay(failures: number, random: () => number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 1_000
  const max = options.maxMs ?? 300_000
  const factor = options.factor ?? 2
  const d = Math.min(max, initial * factor ** Math.max(0, failures - 1))
  const r = Math.min(1, Math.max(0, random()))
  return Math.round(d / 2 + (r * d) / 2)
}
