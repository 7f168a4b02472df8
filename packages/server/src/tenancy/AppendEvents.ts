import { ErrorCodes, type AppendResult } from '@weft/core/backend'
import type { TenantQuota } from '../ServerOptions.ts'
import type { TenantEventType } from './TenantEventBus.ts'

/**
 * The events of a tenant's appends: entries stored, entries refused over quota, and a
 * `quota-warning` when its use passes the warning share of a limit, once per crossing (again
 * after it fell below).
 */
export class AppendEvents {
  /** Per tenant, the quota share it was last warned at. */
  readonly #warned = new Map<string, number>()
  readonly #emit: (tenant: string, type: TenantEventType, data: Record<string, unknown>) => void
  readonly #log: (message: string, error?: unknown) => void
  readonly #at: number

  /** `warnAt`: the share of a limit whose crossing is reported (default 0.8). */
  constructor(
    emit: (tenant: string, type: TenantEventType, data: Record<string, unknown>) => void,
    log: (message: string, error?: unknown) => void,
    warnAt = 0.8,
  ) {
    this.#emit = emit
    this.#log = log
    this.#at = warnAt
  }

  /** The events of an append: entries stored, entries refused over quota, then (once `used` answers) the warning. */
  report(
    tenant: string,
    db: string,
    r: AppendResult,
    quota: TenantQuota,
    used: () => Promise<{ bytes: number; entries: number }>,
  ): void {
    if (r.added.length) this.#emit(tenant, 'entry-stored', { db, count: r.added.length, hashes: r.added.slice(0, 100) })
    const refused = r.rejected.filter((x) => x.error.code === ErrorCodes.QUOTA_EXCEEDED).length
    if (refused) this.#emit(tenant, 'quota-refused', { db, count: refused })
    if (r.added.length)
      void used().then(
        (u) => this.check(tenant, u, quota),
        (err: unknown) => this.#log(`reading the storage use of ${tenant} failed`, err),
      )
  }

  /** A `quota-warning` when the tenant's use passes the warning share of a limit, once per crossing. */
  check(tenant: string, used: { bytes: number; entries: number }, quota: TenantQuota): void {
    const share = Math.max(used.bytes / quota.maxBytesPerTenant, used.entries / quota.maxEntriesPerTenant)
    const warned = this.#warned.get(tenant)
    if (share >= this.#at && warned === undefined) {
      this.#warned.set(tenant, share)
      this.#emit(tenant, 'quota-warning', {
        share,
        bytes: { used: used.bytes, limit: finite(quota.maxBytesPerTenant) },
        entries: { used: used.entries, limit: finite(quota.maxEntriesPerTenant) },
      })
    } else if (share < this.#at && warned !== undefined) this.#warned.delete(tenant)
  }

  /** Forgets the tenant (after its deletion). */
  forget(tenant: string): void {
    this.#warned.delete(tenant)
  }
}

function finite(n: number): number | null {
  return Number.isFinite(n) ? n : null
}
