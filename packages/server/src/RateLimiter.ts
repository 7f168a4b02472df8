/**
 * Token buckets per client: `rate` requests a second sustained, bursts up to `burst`. Idle
 * buckets are dropped so the table stays small.
 */
export class RateLimiter {
  readonly #rate: number
  readonly #burst: number
  readonly #buckets = new Map<string, { tokens: number; at: number }>()

  constructor(rate: number, burst: number) {
    this.#rate = rate
    this.#burst = Math.max(1, burst)
  }

  /** Takes one token for `key`; false when the client is over its rate. */
  take(key: string, now = Date.now()): boolean {
    let b = this.#buckets.get(key)
    if (!b) {
      if (this.#buckets.size > 50_000) this.#sweep(now)
      this.#buckets.set(key, (b = { tokens: this.#burst, at: now }))
    }
    b.tokens = Math.min(this.#burst, b.tokens + ((now - b.at) / 1000) * this.#rate)
    b.at = now
    if (b.tokens < 1) return false
    b.tokens -= 1
    return true
  }

  #sweep(now: number): void {
    for (const [k, b] of this.#buckets) if (now - b.at > (this.#burst / this.#rate) * 1000) this.#buckets.delete(k)
  }
}
