import {
  ErrorCodes, packValue, toBase64Url, unpackValue, WeftError, type KeyValueStore,
} from '@weft/core'
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
}

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
  readonly #cache = new Map<string, Membership | null>()

  constructor(kv: KeyValueStore) {
    this.#kv = kv
  }

  /**
   * Applies a signed registration. The first for an unknown tenant makes its signer the admin;
   * later ones must come from that admin with a higher `seq`. Returns the revoked keys.
   */
  async register(tenant: string, r: SignedRegistration): Promise<{ revoked: string[]; members: number; seq: number }> {
    if (!verifyRegistration(r)) throw new WeftError(ErrorCodes.FORBIDDEN, 'registration is malformed or its signature does not verify')
    if (r.tenant !== tenant) throw new WeftError(ErrorCodes.TENANT_MISMATCH, 'registration names another tenant')
    const admin = toBase64Url(r.admin)
    const current = await this.#load(tenant)
    if (current && current.admin !== admin) throw new WeftError(ErrorCodes.FORBIDDEN, 'registration is not signed by the tenant admin')
    if (current && r.seq <= current.seq) throw new WeftError(ErrorCodes.FORBIDDEN, `registration seq ${r.seq} is not above ${current.seq}`)
    const m: Membership = current ?? { admin, seq: r.seq, members: new Set([admin]), revoked: new Set(), until: new Map(), authors: new Set() }
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
    await this.#kv.put(`tenant/${tenant}`, packValue({
      admin: m.admin, seq: m.seq, members: [...m.members], revoked: [...m.revoked], until: [...m.until], authors: [...m.authors],
    }))
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

  async #load(tenant: string): Promise<Membership | null> {
    if (this.#cache.has(tenant)) return this.#cache.get(tenant)!
    const bytes = await this.#kv.get(`tenant/${tenant}`)
    const raw = bytes
      ? unpackValue<{ admin: string; seq: number; members: string[]; revoked: string[]; until?: [string, number][]; authors?: string[] }>(bytes, 1 << 20)
      : null
    const m = raw
      ? { admin: raw.admin, seq: raw.seq, members: new Set(raw.members), revoked: new Set(raw.revoked), until: new Map(raw.until ?? []), authors: new Set(raw.authors ?? []) }
      : null
    this.#cache.set(tenant, m)
    return m
  }
}
