import type { BackoffOptions } from '@weft/core'
import { backoffDelay } from '@weft/core/backend'

/**
 * When a live sync connects again after a drop: at once when the server process went away (once
 * per link that caught up, so a service that keeps sending clients away still backs off), else
 * after core's equal-jitter backoff delay, which grows with each drop until a link catches up.
 */
export class Reconnects {
  readonly #backoff: BackoffOptions
  #attempt = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  /** The last drop reconnected at once (the server went away); the next waits. */
  #hurried = false

  /** `backoff` is the live sync's option. Default: from 250 ms, doubling, up to 30 s. */
  constructor(backoff: BackoffOptions | undefined) {
    this.#backoff = { initialMs: 250, maxMs: 30_000, ...backoff }
  }

  /** Milliseconds until the next connection after a drop; `atOnce` when the server process went away. */
  delay(atOnce: boolean): number {
    const hurry = atOnce && !this.#hurried
    this.#hurried ||= hurry
    return hurry ? 0 : backoffDelay(++this.#attempt, Math.random, this.#backoff)
  }

  /** Calls `connect` in `delay` milliseconds, in place of any connection scheduled before. */
  schedule(connect: () => void, delay: number): void {
    clearTimeout(this.#timer)
    this.#timer = setTimeout(connect, delay)
  }

  /** Drops the scheduled connection. */
  cancel(): void {
    clearTimeout(this.#timer)
  }

  /** A link caught up: the next drop may reconnect at once again, and the backoff starts over. */
  reset(): void {
    this.#attempt = 0
    this.#hurried = false
  }
}
