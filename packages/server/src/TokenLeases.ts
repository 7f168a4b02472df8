import { takeTokens, type KeyValueStore, type TokenLimit } from '@weft/core/backend'

/** How long tokens taken ahead stay spendable here; those left then lapse (they are never handed back). */
export const LEASE_MS = 250
/** Most tokens one take from the shared bucket gets. */
export const MAX_LEASE = 32
/** Keys tracked before lapsed leases are swept. */
const MAX_TRACKED = 10_000

interface Lease {
  /** Tokens taken ahead and not yet spent. */
  left: number
  /** When they lapse (this process's clock). */
  until: number
  /** Takes since `since`: this process's demand, which sizes the next lease. */
  count: number
  since: number
  /** The take from the shared bucket under way; resolves to its wait (0: tokens added). */
  refill?: Promise<number>
}

/**
 * One process's takes from token buckets several processes share (a tenant's request rate, on
 * PostgreSQL), a few tokens at a time. A request spends a token this process took ahead when it
 * has one; else one take from the shared bucket gets as many as this process used in the last
 * {@link LEASE_MS} (at least 1; at most {@link MAX_LEASE}, a sixteenth of the burst, and the rate's
 * share of {@link LEASE_MS}), and requests arriving meanwhile wait for that take rather than make
 * their own. So a busy tenant's requests write its bucket row about once per lease instead of once
 * each, while a quiet one takes one token per request as before.
 *
 * Every request passed still spent a token taken from the shared bucket, so all processes together
 * pass no more than the bucket allows. What leasing costs is the other way: tokens a process took
 * and did not spend lapse after {@link LEASE_MS}, so a tenant at its limit whose requests move
 * between processes may be refused up to the cap's worth of requests early per process and lease.
 */
export class TokenLeases {
  readonly #kv: KeyValueStore
  readonly #leases = new Map<string, Lease>()

  constructor(kv: KeyValueStore) {
    this.#kv = kv
  }

  /** Takes one token of bucket `key`: 0 when taken, else the whole seconds until one is free. */
  async take(key: string, limit: TokenLimit): Promise<number> {
    let lease = this.#leases.get(key)
    if (!lease) {
      if (this.#leases.size >= MAX_TRACKED) this.#sweep(Date.now())
      // As if one request had come in the last lease's time: the first take asks for one token.
      lease = { left: 0, until: 0, count: 0, since: Date.now() - LEASE_MS }
      this.#leases.set(key, lease)
    }
    lease.count++
    for (;;) {
      if (lease.left > 0 && Date.now() < lease.until) {
        lease.left--
        return 0
      }
      if (!lease.refill) lease.refill = this.#refill(key, lease, limit)
      const wait = await lease.refill
      if (wait > 0) return wait
    }
  }

  async #refill(key: string, lease: Lease, limit: TokenLimit): Promise<number> {
    const now = Date.now()
    const used = (lease.count * LEASE_MS) / Math.max(1, now - lease.since)
    lease.count = 0
    lease.since = now
    try {
      const got = await takeTokens(this.#kv, key, limit, Math.min(leaseCap(limit), Math.max(1, Math.ceil(used))))
      if (got.taken > 0) {
        lease.left = got.taken
        lease.until = Date.now() + LEASE_MS
      }
      return got.taken > 0 ? 0 : got.wait
    } finally {
      lease.refill = undefined
    }
  }

  /** Forgets the keys whose leases lapsed and have no take under way. */
  #sweep(now: number): void {
    for (const [key, lease] of this.#leases) if (!lease.refill && lease.until <= now) this.#leases.delete(key)
  }
}

/** Most tokens one lease of `limit` takes: never more than a sixteenth of the burst, nor the rate's share of a lease's time. */
export function leaseCap(limit: TokenLimit): number {
  return Math.max(1, Math.min(MAX_LEASE, Math.floor(limit.burst / 16), Math.floor((limit.rate * LEASE_MS) / 1000)))
}
