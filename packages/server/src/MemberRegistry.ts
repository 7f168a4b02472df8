import { ErrorCodes, packValue, toBase64Url, unpackValue, WeftError, type KeyValueStore } from '@weft/core/backend'
import { verifyRegistration, type SignedRegistration } from '@weft/protocol'

interface Membership {
  admin: string
  seq: number
  members: Set<string>
  revoked: Set<string>
  /** Members whose membership ends, and when (ms since the epoch). */
  until: Map<string, number>
  /** Keys accepted as authors of entries only: they cannot sign in. */
  authors: Set<string>
  /** Size of the stored record, in bytes. */
  bytes: number
}

/** Bounds a registration is applied within. */
export interface RegistrationLimits {
  /** Most keys (members, the admin among them, and authors) the tenant may hold after it. */
  readonly maxMembers: number
  /**
   * Asked before a registration creates a tenant, with how many tenants the server holds: throws
   * to refuse. Absent: any tenant may be created.
   */
  readonly admitTenant?: (held: number) => void
}

const UNLIMITED: RegistrationLimits = { maxMembers: Infinity }

/**
 * What a key is to a tenant: `expired` is a member whose registration's `until` has passed;
 * `author` may author pushed entries but not sign in.
 */
export type KeyStanding = 'member' | 'expired' | 'author' | 'revoked' | 'unknown'

/**
 * Who may use the server for each tenant: the admin key and the member keys it registered, kept
 * in the server's key-value store. Keys are base64url Ed25519 public keys.
 */
export class MemberRegistry {
  readonly #kv: KeyValueStore
  /** Known tenants' memberships, once read (unknown tenant ids are not cached: anyone can name them). */
  readonly #cache = new Map<string, Membership>()
  readonly #queues = new Map<string, Promise<unknown>>()
  /** Tenants stored, counted once from storage when first needed. */
  #tenants: number | undefined

  constructor(kv: KeyValueStore) {
    this.#kv = kv
  }

  /**
   * Applies a signed registration. The first for an unknown tenant makes its signer the admin;
   * later ones must come from that admin with a higher `seq`. Returns the revoked keys. Within
   * `limits`: a registration that would leave the tenant more than `maxMembers` keys is refused
   * whole (`WEFT_QUOTA_EXCEEDED`); one that creates a tenant is first put to `admitTenant`. The
   * keys a tenant revoked are remembered up to `maxMembers` of them (the oldest are forgotten
   * first: a forgotten key is unknown, and refused all the same).
   */
  register(
    tenant: string,
    r: SignedRegistration,
    limits: RegistrationLimits = UNLIMITED,
  ): Promise<{ revoked: string[]; members: number; seq: number }> {
    if (!verifyRegistration(r))
      return Promise.reject(
        new WeftError(ErrorCodes.FORBIDDEN, 'registration is malformed or its signature does not verify'),
      )
    // One registration at a time per tenant, so a seq is never accepted twice and counts are exact.
    const run = (this.#queues.get(tenant) ?? Promise.resolve()).then(() => this.#apply(tenant, r, limits))
    const tail = run.catch(() => undefined)
    this.#queues.set(tenant, tail)
    void tail.then(() => this.#queues.get(tenant) === tail && this.#queues.delete(tenant))
    return run
  }

  /** The keys registered for a tenant (members and authors) and the bytes of its stored record. */
  async usage(tenant: string): Promise<{ members: number; bytes: number }> {
    const m = await this.#load(tenant)
    return m ? { members: keyCount(m), bytes: m.bytes } : { members: 0, bytes: 0 }
  }

  /** How many tenants the server holds. */
  async tenants(): Promise<number> {
    this.#tenants ??= (await this.#kv.keys('tenant/')).length
    return this.#tenants
  }

  async #apply(
    tenant: string,
    r: SignedRegistration,
    limits: RegistrationLimits,
  ): Promise<{ revoked: string[]; members: number; seq: number }> {
    if (r.tenant !== tenant) throw new WeftError(ErrorCodes.TENANT_MISMATCH, 'registration names another tenant')
    const admin = toBase64Url(r.admin)
    const current = await this.#load(tenant)
    if (current && current.admin !== admin)
      throw new WeftError(ErrorCodes.FORBIDDEN, 'registration is not signed by the tenant admin')
    if (current && r.seq <= current.seq)
      throw new WeftError(ErrorCodes.FORBIDDEN, `registration seq ${r.seq} is not above ${current.seq}`)
    // Changes go to a copy: a registration refused below leaves the tenant as it was.
    const m: Membership = current
      ? {
          ...current,
          members: new Set(current.members),
          revoked: new Set(current.revoked),
          until: new Map(current.until),
          authors: new Set(current.authors),
        }
      : {
          admin,
          seq: r.seq,
          members: new Set([admin]),
          revoked: new Set(),
          until: new Map(),
          authors: new Set(),
          bytes: 0,
        }
    m.seq = r.seq
    for (const k of r.add.map(toBase64Url)) {
      m.members.add(k)
      m.revoked.delete(k)
      if (r.until !== undefined && k !== admin) m.until.set(k, r.until)
      else m.until.delete(k)
    }
    for (const k of (r.authors ?? []).map(toBase64Url)) {
      m.authors.add(k)
      m.revoked.delete(k)
    }
    const revoked = r.revoke.map(toBase64Url).filter((k) => k !== admin)
    for (const k of revoked) {
      m.members.delete(k)
      m.authors.delete(k)
      m.revoked.add(k)
      m.until.delete(k)
    }
    if (keyCount(m) > limits.maxMembers) {
      throw new WeftError(
        ErrorCodes.QUOTA_EXCEEDED,
        `the tenant may register at most ${limits.maxMembers} keys on this server (members and authors)`,
      )
    }
    for (const k of m.revoked) {
      if (m.revoked.size <= limits.maxMembers) break
      m.revoked.delete(k) // the oldest first (a Set keeps insertion order)
    }
    const record = packValue({
      admin: m.admin,
      seq: m.seq,
      members: [...m.members],
      revoked: [...m.revoked],
      until: [...m.until],
      authors: [...m.authors],
    })
    m.bytes = record.length
    if (!current) {
      await this.tenants()
      const held = this.#tenants! // read after the wait, so creations running side by side each count
      limits.admitTenant?.(held)
      this.#tenants = held + 1 // counted before the write, so concurrent creations see it
    }
    try {
      await this.#kv.put(`tenant/${tenant}`, record)
    } catch (err) {
      if (!current && this.#tenants !== undefined) this.#tenants--
      throw err
    }
    this.#cache.set(tenant, m)
    return { revoked, members: m.members.size, seq: m.seq }
  }

  /**
   * Whether `key` (base64url) is a current member at `now`, a member whose time is up, an author
   * only, was revoked, or was never registered.
   */
  async standing(tenant: string, key: string, now = Date.now()): Promise<KeyStanding> {
    const m = await this.#load(tenant)
    if (m?.members.has(key)) {
      const until = m.until.get(key)
      if (until === undefined || now < until) return 'member'
      return m.authors.has(key) ? 'author' : 'expired'
    }
    if (m?.authors.has(key)) return 'author'
    return m?.revoked.has(key) ? 'revoked' : 'unknown'
  }

  /** When `key`'s membership of `tenant` runs out (its registration's `until`), if it does. */
  async until(tenant: string, key: string): Promise<number | undefined> {
    return (await this.#load(tenant))?.until.get(key)
  }

  /** Drops what is cached of `tenant` after its record was erased (the tenant was deleted). */
  forget(tenant: string): void {
    if (this.#cache.delete(tenant) && this.#tenants !== undefined) this.#tenants--
  }

  async #load(tenant: string): Promise<Membership | null> {
    const cached = this.#cache.get(tenant)
    if (cached) return cached
    const bytes = await this.#kv.get(`tenant/${tenant}`)
    if (!bytes) return null
    const raw = unpackValue<{
      admin: string
      seq: number
      members: string[]
      revoked: string[]
      until?: [string, number][]
      authors?: string[]
    }>(bytes, 16 << 20)
    const m: Membership = {
      admin: raw.admin,
      seq: raw.seq,
      members: new Set(raw.members),
      revoked: new Set(raw.revoked),
      until: new Map(raw.until ?? []),
      authors: new Set(raw.authors ?? []),
      bytes: bytes.length,
    }
    this.#cache.set(tenant, m)
    return m
  }
}

/** Keys a tenant holds: its members (the admin among them) and its author-only keys. */
function keyCount(m: Membership): number {
  let n = m.members.size
  for (const k of m.authors) if (!m.members.has(k)) n++
  return n
}
