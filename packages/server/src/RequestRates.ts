import type { KeyValueStore } from '@weft/core/backend'
import type { TenantQuota } from './ServerOptions.ts'
import { rateLimited } from './http.ts'
import { RateLimiter } from './RateLimiter.ts'
import { TokenLeases } from './TokenLeases.ts'

/**
 * The request rates a server enforces: per client (an address before sign-in or for a token that
 * failed, a verified session after) and per tenant across all its sessions. Each `take…` counts one
 * request and throws `WEFT_RATE_LIMITED` (with its `retry-after`) when the key is over its rate.
 * With `shared` (a store several processes share), a tenant's rate is one bucket in that store,
 * held across every process, which a busy tenant's requests take from a few tokens at a time
 * ({@link TokenLeases}); a client's rate stays this process's own.
 */
export class RequestRates {
  readonly #perSecond: number
  readonly #clients: RateLimiter
  /** Every call passes the tenant's own rate, from its quota. */
  readonly #tenants = new RateLimiter(Infinity, 1)
  readonly #shared: TokenLeases | undefined

  constructor(requestsPerSecond: number, burst: number, shared?: KeyValueStore) {
    this.#shared = shared && new TokenLeases(shared)
    this.#perSecond = requestsPerSecond
    this.#clients = new RateLimiter(requestsPerSecond, burst)
  }

  /** One anonymous request (before sign-in, or with a token that failed) from a client address. */
  takeAddress(address: string): void {
    this.#takeClient(`address:${address}`)
  }

  /** One request of a verified session. */
  takeSession(token: string): void {
    this.#takeClient(`session:${token}`)
  }

  /** One signed-in request of a tenant, from any of its sessions. */
  async takeTenant(tenant: string, quota: TenantQuota): Promise<void> {
    const limit = { rate: quota.tenantRequestsPerSecond, burst: quota.tenantBurst }
    const over = () =>
      `the tenant is over ${quota.tenantRequestsPerSecond} requests a second across its sessions; slow down`
    if (this.#shared) {
      const wait = await this.#shared.take(`rate/${tenant}`, limit)
      if (wait > 0) throw rateLimited(over(), wait)
      return
    }
    if (!this.#tenants.take(tenant, Date.now(), limit))
      throw rateLimited(over(), this.#tenants.retryAfter(tenant, Date.now(), limit))
  }

  #takeClient(key: string): void {
    if (!this.#clients.take(key)) {
      throw rateLimited(
        `over ${this.#perSecond} requests a second from this client; slow down`,
        this.#clients.retryAfter(key),
      )
    }
  }
}
