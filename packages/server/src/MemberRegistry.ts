import { ErrorCodes, packValue, toBase64Url, unpackValue, WeftError, type KeyValueStore } from '@weft/core/backend'
import {
  verifyRegistration,
  verifyTenantControl,
  type SignedRegistration,
  type SignedTenantControl,
} from '@weft/protocol'
import type { ClusterState } from './cluster/ClusterState.ts'
import { decodeMembership, encodeMembership, keyCount, type Membership } from './memberRecords.ts'

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
export type KeyStanding = 'member' | 'reader' | 'expired' | 'author' | 'revoked' | 'unknown'

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
  #cluster: ClusterState | undefined

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
    return this.#queued(tenant, () => this.#apply(tenant, r, limits))
  }

  /**
   * Shares this state with the other processes over the same storage: every change runs in the
   * tenant's cross-process section (see `ClusterState`), after what another process changed is
   * read again.
   */
  share(cluster: ClusterState): void {
    this.#cluster = cluster
  }

  /** Forgets what it read of `tenant` (another process changed it); the next use reads it again. */
  invalidate(tenant: string): void {
    this.#cache.delete(tenant)
  }

  /** Runs `job` after the tenant's other changes, one at a time (in every process, when shared). */
  #queued<T>(tenant: string, job: () => Promise<T>): Promise<T> {
    const cluster = this.#cluster
    const run = (this.#queues.get(tenant) ?? Promise.resolve()).then(() =>
      cluster ? cluster.tenantSection(tenant, job) : job(),
    )
    const tail = run.catch(() => undefined)
    this.#queues.set(tenant, tail)
    void tail.then(() => this.#queues.get(tenant) === tail && this.#queues.delete(tenant))
    return run
  }

  /** The tenant's registered admin and directory root (base64url), or null for a tenant the server does not hold. */
  async keys(tenant: string): Promise<{ admin: string; root: string } | null> {
    const m = await this.#load(tenant)
    return m ? { admin: m.admin, root: m.root } : null
  }

  /**
   * Applies a signed transfer or reset (see `createTenantControl`), made for this server: its
   * `seq` must be above every control `seq` seen for the tenant id (kept across resets), else
   * `WEFT_FORBIDDEN`. A transfer must be signed by the registered admin or a key
   * `isDirectoryAdmin` accepts, and makes `to` the registered admin (the directory root stays). A
   * reset must be signed by the registered admin; `erase` runs (the directory, the data) before the
   * registration is forgotten. `WEFT_TENANT_NOT_FOUND` for a tenant the server does not hold.
   */
  control(
    tenant: string,
    c: SignedTenantControl,
    hooks: { isDirectoryAdmin: (key: string) => Promise<boolean>; erase: () => Promise<void> },
  ): Promise<{ admin?: Uint8Array; seq: number }> {
    if (!verifyTenantControl(c))
      return Promise.reject(
        new WeftError(ErrorCodes.FORBIDDEN, 'the control operation is malformed or its signature does not verify'),
      )
    return this.#queued(tenant, async () => {
      if (c.tenant !== tenant)
        throw new WeftError(ErrorCodes.TENANT_MISMATCH, 'the control operation names another tenant')
      const m = await this.#load(tenant)
      if (!m) throw new WeftError(ErrorCodes.TENANT_NOT_FOUND, `this server holds no tenant ${tenant}`)
      const floor = await this.#controlSeq(tenant)
      if (c.seq <= floor) throw new WeftError(ErrorCodes.FORBIDDEN, `control seq ${c.seq} is not above ${floor}`)
      const signer = toBase64Url(c.signer)
      const allowed = signer === m.admin || (c.op === 'transfer' && (await hooks.isDirectoryAdmin(signer)))
      if (!allowed)
        throw new WeftError(
          ErrorCodes.FORBIDDEN,
          c.op === 'reset'
            ? "a reset is signed by the tenant's registered admin"
            : "a transfer is signed by the tenant's registered admin or an admin device of its directory",
        )
      // The seq is spent before anything changes: a replay is refused even if what follows fails.
      await this.#kv.put(`control/${tenant}`, packValue(c.seq))
      if (c.op === 'reset') {
        await this.#erase(tenant, hooks.erase)
        return { seq: c.seq }
      }
      await this.#setAdmin(tenant, m, toBase64Url(c.to!))
      return { admin: c.to!, seq: c.seq }
    })
  }

  /**
   * The operator's transfer (no signature: whoever runs it holds the server's data): makes `to`
   * (base64url) the tenant's registered admin. `WEFT_TENANT_NOT_FOUND` for an unknown tenant.
   */
  operatorTransfer(tenant: string, to: string): Promise<void> {
    return this.#queued(tenant, async () => {
      const m = await this.#load(tenant)
      if (!m) throw new WeftError(ErrorCodes.TENANT_NOT_FOUND, `this server holds no tenant ${tenant}`)
      await this.#setAdmin(tenant, m, to)
    })
  }

  /** The operator's reset: erases the tenant (after `erase`), keeping its control seq. */
  operatorReset(tenant: string, erase: () => Promise<void>): Promise<void> {
    return this.#queued(tenant, () => this.#erase(tenant, erase))
  }

  async #setAdmin(tenant: string, m: Membership, to: string): Promise<void> {
    const next: Membership = { ...m, admin: to, members: new Set([...m.members, to]), revoked: new Set(m.revoked) }
    next.revoked.delete(to)
    await this.#write(tenant, next)
  }

  async #erase(tenant: string, erase: () => Promise<void>): Promise<void> {
    await erase()
    const held = await this.#kv.get(`tenant/${tenant}`)
    await this.#kv.delete(`tenant/${tenant}`)
    this.#cache.delete(tenant)
    if (held && this.#tenants !== undefined) this.#tenants--
  }

  async #controlSeq(tenant: string): Promise<number> {
    const raw = await this.#kv.get(`control/${tenant}`)
    return raw ? unpackValue<number>(raw, 64) : -1
  }

  /** The keys registered for a tenant (members and authors) and the bytes of its stored record. */
  async usage(tenant: string): Promise<{ members: number; bytes: number }> {
    const m = await this.#load(tenant)
    return m ? { members: keyCount(m), bytes: m.bytes } : { members: 0, bytes: 0 }
  }

  /**
   * The keys registered for `tenant`: the admin, the directory's root, the members (with the time their membership runs
   * out, if it does) and the revoked keys it still remembers; null for a tenant the server does not hold.
   */
  async roster(
    tenant: string,
  ): Promise<{ admin: string; root: string; members: { key: string; until?: number }[]; revoked: string[] } | null> {
    const m = await this.#load(tenant)
    if (!m) return null
    const members = [...m.members].map((key) => {
      const until = m.until.get(key)
      return until === undefined ? { key } : { key, until }
    })
    return { admin: m.admin, root: m.root, members, revoked: [...m.revoked] }
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
          root: admin,
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
    if (!current) {
      // Shared: other processes create tenants too, so count them again (exact but for creations racing this one).
      if (this.#cluster) this.#tenants = undefined
      await this.tenants()
      const held = this.#tenants! // read after the wait, so creations running side by side each count
      limits.admitTenant?.(held)
      this.#tenants = held + 1 // counted before the write, so concurrent creations see it
    }
    try {
      await this.#write(tenant, m)
    } catch (err) {
      if (!current && this.#tenants !== undefined) this.#tenants--
      throw err
    }
    return { revoked, members: m.members.size, seq: m.seq }
  }

  async #write(tenant: string, m: Membership): Promise<void> {
    const record = encodeMembership(m)
    m.bytes = record.length
    await this.#kv.put(`tenant/${tenant}`, record)
    this.#cache.set(tenant, m)
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
    const m = decodeMembership(bytes)
    this.#cache.set(tenant, m)
    return m
  }
}
