/** A sustained rate (tokens a second) and the most tokens a bucket holds. */
export interface Rate {
  readonly rate: number
  readonly burst: number
}

/**
 * Token buckets per key (a client, a tenant): `rate` requests a second sustained, bursts up to
 * `burst`. A call may pass its own rate for its key (a tenant with a larger quota). Idle buckets
 * are dropped so the table stays small.
 */
export class RateLimiter {
  readonly #default: Rate
  readonly #buckets = new Map<string, { tokens: number; at: number; rate: number; burst: number }>()

  constructor(rate: number, burst: number) {
    this.#default = { rate, burst: Math.max(1, burst) }
  }

  /** Takes one token for `key`; false when the key is over its rate. */
  take(key: string, now = Date.now(), limit: Rate = this.#default): boolean {
    if (limit.rate === Infinity) return true
    const b = this.#refill(key, now, limit)
    if (b.tokens < 1) return false
    b.tokens -= 1
    return true
  }

  /** Whole seconds until `key` has a token again (at least 1): the `retry-after` of a refusal. */
  retryAfter(key: string, now = Date.now(), limit: Rate = this.#default): number {
    if (limit.rate === Infinity) return 1
    const b = this.#refill(key, now, limit)
    return Math.max(1, Math.ceil((1 - b.tokens) / b.rate))
  }

  #refill(key: string, now: number, limit: Rate): { tokens: number; at: number; rate: number; burst: number } {
    const burst = Math.max(1, limit.burst)
    let b = this.#buckets.get(key)
    if (!b) {
      if (this.#buckets.size > 50_000) this.#sweep(now)
      this.#buckets.set(key, (b = { tokens: burst, at: now, rate: limit.rate, burst }))
    }
    b.rate = limit.rate
    b.burst = burst
    b.tokens = Math.min(burst, b.tokens + (Math.max(0, now - b.at) / 1000) * limit.rate)
    b.at = now
    return b
  }

  #sweep(now: number): void {
    for (const [k, b] of this.#buckets) if (now - b.at > (b.burst / b.rate) * 1000) this.#buckets.delete(k)
  }
}
