import { timingSafeEqual } from 'node:crypto'
import { ErrorCodes, WeftError } from '@weft/core'
import { rateLimited } from './http.ts'
import type { RegistrationOptions } from './ServerOptions.ts'

/** Defaults of {@link RegistrationOptions}. */
export const DEFAULT_REGISTRATION = {
  maxTenants: 100_000,
  perAddress: { tenants: 20, windowMs: 60 * 60_000 },
} as const

/** Addresses remembered at most; past it, windows that ended are swept (and, if need be, all). */
const MAX_ADDRESSES = 100_000

/**
 * Who may create a tenant on this server: open registration or an operator-issued token, a cap on
 * the tenants the server holds, and a cap on the tenants one remote address creates per window.
 * Creating a tenant is the only thing anonymous callers can make the server keep, so this is what
 * bounds the disk and memory they can take.
 */
export class RegistrationGate {
  readonly #open: boolean
  readonly #tokens: readonly Buffer[]
  readonly #maxTenants: number
  readonly #perAddress: { readonly tenants: number; readonly windowMs: number }
  /** Per remote address: when its window started and how many tenants it created in it. */
  readonly #windows = new Map<string, { start: number; count: number }>()

  /** Throws `WEFT_INVALID_ARGUMENT` for options that cannot work. */
  constructor(options: RegistrationOptions = {}) {
    this.#open = options.open ?? true
    const tokens = options.tokens ?? []
    if (tokens.some((t) => typeof t !== 'string' || t.length < 16)) {
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'a registration token is a string of at least 16 characters')
    }
    this.#tokens = tokens.map((t) => Buffer.from(t))
    this.#maxTenants = options.maxTenants ?? DEFAULT_REGISTRATION.maxTenants
    this.#perAddress = options.perAddress ?? DEFAULT_REGISTRATION.perAddress
    const { tenants, windowMs } = this.#perAddress
    if (!(this.#maxTenants >= 0) || !(tenants >= 0) || !(windowMs > 0)) {
      throw new WeftError(
        ErrorCodes.INVALID_ARGUMENT,
        'registration limits must be numbers of at least 0 (a window above 0)',
      )
    }
  }

  /**
   * Checks that `address` may create one more tenant now, the server holding `held`, and counts
   * it: `WEFT_REGISTRATION_CLOSED` without a valid token when open registration is off,
   * `WEFT_SERVER_FULL` at the server's limit, `WEFT_RATE_LIMITED` (with a retry time) when the
   * address created its share in the current window.
   */
  admit(address: string, token: unknown, held: number, now = Date.now()): void {
    if (!this.#open && !this.#validToken(token)) {
      throw new WeftError(
        ErrorCodes.REGISTRATION_CLOSED,
        'this server creates tenants only with a registration token from its operator',
      )
    }
    if (held >= this.#maxTenants) {
      throw new WeftError(
        ErrorCodes.SERVER_FULL,
        `this server holds its limit of ${this.#maxTenants} tenants; no tenant is created`,
      )
    }
    const { tenants, windowMs } = this.#perAddress
    let w = this.#windows.get(address)
    if (!w || now - w.start >= windowMs) {
      this.#sweep(now)
      w = { start: now, count: 0 }
      this.#windows.set(address, w)
    }
    if (w.count >= tenants) {
      const retryAfterS = Math.max(1, Math.ceil((w.start + windowMs - now) / 1000))
      throw rateLimited(`this address created its ${tenants} tenants for now; retry in ${retryAfterS} s`, retryAfterS)
    }
    w.count++
  }

  #validToken(token: unknown): boolean {
    if (typeof token !== 'string' || token.length > 1024) return false
    const given = Buffer.from(token)
    let ok = false
    for (const t of this.#tokens) if (t.length === given.length && timingSafeEqual(t, given)) ok = true
    return ok
  }

  /** Keeps the table of addresses bounded: drops windows that ended, and everything if still full. */
  #sweep(now: number): void {
    if (this.#windows.size < MAX_ADDRESSES) return
    for (const [a, w] of this.#windows) if (now - w.start >= this.#perAddress.windowMs) this.#windows.delete(a)
    if (this.#windows.size >= MAX_ADDRESSES) this.#windows.clear()
  }
}
