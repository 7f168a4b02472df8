/** Bytes one tenant holds in the server's memory for one purpose; `resize` and `release` adjust the tenant's total. */
export interface Hold {
  /** Bytes held now. */
  readonly bytes: number
  /** Changes the bytes held to `bytes` (growing only when within the tenant's budget): false when refused. */
  resize(bytes: number): boolean
  /** Gives everything back. Idempotent. */
  release(): void
}

/**
 * Counts what the server holds in memory on each tenant's behalf (responses being written, pages
 * buffered on its sockets) against a per-tenant budget, so that one tenant's clients cannot make
 * the server hold unbounded memory: past the budget a request is refused or a socket waits.
 */
export class MemoryBudget {
  readonly #limitFor: (tenant: string) => number
  readonly #held = new Map<string, number>()

  constructor(limitFor: (tenant: string) => number) {
    this.#limitFor = limitFor
  }

  /** Bytes held for `tenant` now. */
  held(tenant: string): number {
    return this.#held.get(tenant) ?? 0
  }

  /**
   * Holds `bytes` for `tenant`, or returns undefined when that would pass its budget. A tenant
   * holding nothing may always hold one item, however large, so nothing is refused for ever.
   */
  hold(tenant: string, bytes: number): Hold | undefined {
    if (!this.#fits(tenant, bytes)) return undefined
    let held = 0
    let released = false
    const add = (delta: number) => {
      const total = this.held(tenant) + delta
      if (total <= 0) this.#held.delete(tenant)
      else this.#held.set(tenant, total)
    }
    const h: Hold = {
      get bytes() {
        return held
      },
      resize: (to) => {
        if (released) return false
        if (to > held && !this.#fits(tenant, to - held)) return false
        add(to - held)
        held = to
        return true
      },
      release: () => {
        if (released) return
        released = true
        add(-held)
        held = 0
      },
    }
    h.resize(bytes)
    return h
  }

  #fits(tenant: string, bytes: number): boolean {
    const now = this.held(tenant)
    return now === 0 || now + bytes <= this.#limitFor(tenant)
  }
}
