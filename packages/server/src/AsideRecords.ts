import type { VerifiedRecord } from '@weft/core/backend'

/** A record held aside: its signature verified, but the directory it was posted to does not apply it (yet). */
export interface AsideRecord {
  readonly record: VerifiedRecord
  readonly signed: string
}

/**
 * Directory records whose signature verifies but that the tenant's fold refuses now: a record
 * posted before the one that makes its signer an admin, say. They are kept in memory only, at
 * most `perTenant` of a tenant and `maxBytes` in all (the oldest dropped first), and folded again
 * with every later post, so the order records arrive in does not change what the server admits.
 * A dropped record comes back the next time a device posts its directory.
 */
export class AsideRecords {
  readonly #perTenant: number
  readonly #maxBytes: number
  /** `tenant\n id` → record, oldest first. */
  readonly #all = new Map<string, AsideRecord & { readonly tenant: string }>()
  readonly #byTenant = new Map<string, Map<string, AsideRecord>>()
  #bytes = 0

  constructor(limits: { perTenant: number; maxBytes: number }) {
    this.#perTenant = limits.perTenant
    this.#maxBytes = limits.maxBytes
  }

  /** The tenant's records held aside. */
  of(tenant: string): ReadonlyMap<string, AsideRecord> {
    return this.#byTenant.get(tenant) ?? new Map()
  }

  /** Holds a record aside, dropping the tenant's oldest past its share and the oldest of all past the byte limit. */
  add(tenant: string, a: AsideRecord): void {
    if (this.#perTenant <= 0 || a.signed.length > this.#maxBytes) return
    const id = a.record.id
    if (this.#byTenant.get(tenant)?.has(id)) return
    let mine = this.#byTenant.get(tenant)
    if (!mine) this.#byTenant.set(tenant, (mine = new Map()))
    while (mine.size >= this.#perTenant) this.delete(tenant, mine.keys().next().value!)
    mine.set(id, a)
    this.#all.set(`${tenant}\n${id}`, { ...a, tenant })
    this.#bytes += a.signed.length
    for (const [k, v] of this.#all) {
      if (this.#bytes <= this.#maxBytes) break
      this.delete(v.tenant, k.slice(v.tenant.length + 1))
    }
  }

  delete(tenant: string, id: string): void {
    const a = this.#all.get(`${tenant}\n${id}`)
    if (!a) return
    this.#all.delete(`${tenant}\n${id}`)
    this.#bytes -= a.signed.length
    const mine = this.#byTenant.get(tenant)!
    mine.delete(id)
    if (mine.size === 0) this.#byTenant.delete(tenant)
  }

  /** Forgets every record of a tenant. */
  clear(tenant: string): void {
    for (const id of [...this.of(tenant).keys()]) this.delete(tenant, id)
  }

  /** Bytes of signed records held aside, in all. */
  get bytes(): number {
    return this.#bytes
  }
}
