import { ErrorCodes, WeftError } from '@weft/core'

/** How many sign-in challenges may wait for an answer at once. */
export interface ChallengeQuotas {
  /** In all. When full, the tenant holding the most gives up its oldest. Default 100,000. */
  readonly maxPending: number
  /** For one tenant. Default 1,000. */
  readonly maxPendingPerTenant: number
  /** From one client address (an IPv6 /64). Default 256. */
  readonly maxPendingPerAddress: number
}

export const DEFAULT_CHALLENGE_QUOTAS: ChallengeQuotas = {
  maxPending: 100_000,
  maxPendingPerTenant: 1_000,
  maxPendingPerAddress: 256,
}

/** A challenge waiting for its signed answer. */
export interface PendingChallenge {
  readonly tenant: string
  /** The key it was issued for (base64url). */
  readonly key: string
  readonly address: string
  readonly expiresAt: number
}

/**
 * The sign-in challenges a server has issued and not yet seen answered, with quotas per tenant and
 * per client address, so that no client fills the table for others: past its quota a tenant or an
 * address is refused (`WEFT_RATE_LIMITED`), and a full table makes room by dropping the oldest
 * challenge of the tenant holding the most, never by refusing a tenant that holds few.
 */
export class ChallengeTable {
  readonly #quotas: ChallengeQuotas
  readonly #byId = new Map<string, PendingChallenge>()
  // Ids per tenant and per address, oldest first (every challenge lives as long, so the expired are in front).
  readonly #byTenant = new Map<string, Set<string>>()
  readonly #byAddress = new Map<string, Set<string>>()

  constructor(quotas: Partial<ChallengeQuotas> = {}) {
    this.#quotas = { ...DEFAULT_CHALLENGE_QUOTAS, ...quotas }
  }

  /** Challenges waiting now. */
  get size(): number {
    return this.#byId.size
  }

  /** Records a new challenge, or refuses it when its tenant or address is over its quota. */
  add(id: string, c: PendingChallenge, now = Date.now()): void {
    const tenant = this.#expire(this.#byTenant, c.tenant, now)
    const address = this.#expire(this.#byAddress, c.address, now)
    if (tenant.size >= this.#quotas.maxPendingPerTenant) {
      throw new WeftError(ErrorCodes.RATE_LIMITED, `the tenant has ${tenant.size} sign-ins under way; retry later`)
    }
    if (address.size >= this.#quotas.maxPendingPerAddress) {
      throw new WeftError(ErrorCodes.RATE_LIMITED, `this client has ${address.size} sign-ins under way; retry later`)
    }
    if (this.#byId.size >= this.#quotas.maxPending) this.#makeRoom(now)
    this.#byId.set(id, c)
    tenant.add(id)
    address.add(id)
    this.#byTenant.set(c.tenant, tenant)
    this.#byAddress.set(c.address, address)
  }

  /** Takes a challenge out (each is single-use); undefined when unknown. */
  take(id: string): PendingChallenge | undefined {
    const c = this.#byId.get(id)
    if (c) this.#remove(id, c)
    return c
  }

  /** Drops the expired challenges of `owner` and returns its set (empty when it has none). */
  #expire(table: Map<string, Set<string>>, owner: string, now: number): Set<string> {
    const ids = table.get(owner)
    if (!ids) return new Set()
    for (const id of ids) {
      const c = this.#byId.get(id)
      if (c && c.expiresAt >= now) break
      if (c) this.#remove(id, c)
      else ids.delete(id)
    }
    return ids
  }

  #makeRoom(now: number): void {
    for (const [id, c] of this.#byId) {
      if (c.expiresAt >= now) break
      this.#remove(id, c)
    }
    if (this.#byId.size < this.#quotas.maxPending) return
    let largest: Set<string> | undefined
    for (const ids of this.#byTenant.values()) if (!largest || ids.size > largest.size) largest = ids
    const oldest = largest?.values().next().value
    if (oldest !== undefined) this.#remove(oldest, this.#byId.get(oldest)!)
  }

  #remove(id: string, c: PendingChallenge): void {
    this.#byId.delete(id)
    for (const [table, owner] of [
      [this.#byTenant, c.tenant],
      [this.#byAddress, c.address],
    ] as const) {
      const ids = table.get(owner)
      ids?.delete(id)
      if (ids?.size === 0) table.delete(owner)
    }
  }
}
