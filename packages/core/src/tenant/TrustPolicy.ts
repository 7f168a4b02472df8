import { packValue, toBase64Url, toHex } from '../codec/index.ts'
import { blake2b } from '../crypto/index.ts'
import { ErrorCodes, type ErrorCode } from '../errors.ts'
import { asDbName, type ChangeHash, type DbName, type Origin, type TenantId } from '../types.ts'
import type { VerifiedProfile } from './PublicProfile.ts'

/**
 * A partner database linked into one of ours: entries from `remote` are accepted into `local`,
 * and the partner's signers are trusted in `local`. With `signersOnly`, only the latter: the
 * partner may change documents `local` accepts from elsewhere (a write grant to it), but documents
 * that originated in its own database are not accepted.
 */
export interface DbLink {
  readonly local: DbName
  readonly remote: DbName
  readonly signersOnly?: true
}

/**
 * A database link as callers write it: a name shared by both sides, or an explicit pair,
 * optionally `signersOnly` (see {@link DbLink}).
 */
export type DbLinkSpec = string | { readonly local: string; readonly remote: string; readonly signersOnly?: boolean }

export interface Partner {
  readonly profile: VerifiedProfile
  readonly links: readonly DbLink[]
}

/**
 * Where trust in a partner's signers ends in one of our databases: the partner's signatures count
 * only on the entries in `kept` (what was delivered before the end), and on the partner's own
 * documents from the databases in `ownOrigins` (the partner shares those with us).
 */
export interface TrustCutoff {
  readonly kept: ReadonlySet<ChangeHash>
  readonly ownOrigins: ReadonlySet<DbName>
}

/** Cut-offs in force: partner → our database → cut-off. */
export type TrustCutoffs = ReadonlyMap<TenantId, ReadonlyMap<DbName, TrustCutoff>>

/**
 * Another tenant's signer, vouched for by a partner whose database is linked into one of ours:
 * its signatures count on entries of that partner's documents (`origin`) only, and once its
 * write grant there ended, only on the entries in `kept`.
 */
export interface Vouch {
  readonly origin: Origin
  readonly kept: ReadonlySet<ChangeHash> | null
}

/** Vouches in force: our database → signer (base64url) → who vouched for it, for which origin. */
export type Vouches = ReadonlyMap<DbName, ReadonlyMap<string, readonly Vouch[]>>

/**
 * Which entries of one of this tenant's devices its databases materialise, from the tenant
 * directory: every entry `except` some (a device allowed to write; the exceptions are what it
 * wrote as a reader), or `only` some (a removed device or a reader: what it wrote while allowed).
 */
export interface DeviceTrust {
  readonly mode: 'except' | 'only'
  readonly hashes: ReadonlySet<ChangeHash>
}

/** Device trust in force: device signing key (base64url) → trust. */
export type DeviceTrusts = ReadonlyMap<string, DeviceTrust>

/** Why an entry is not materialised (yet): its signer or its origin is not trusted here. */
export type TrustDecision = { readonly ok: true } | { readonly ok: false; readonly code: ErrorCode }

const OK: TrustDecision = { ok: true }

/**
 * Who a tenant's databases trust. A database accepts an entry when its origin is the database
 * itself or a partner database linked into it, and its author is a member of this tenant or of a
 * partner linked into that database (unless that partner's trust in that database was cut off,
 * {@link TrustCutoff}, and the entry is not one it kept), or a signer the origin's tenant vouched
 * for ({@link Vouch}).
 */
export class TrustPolicy {
  readonly #tenantId: TenantId
  readonly #members = new Set<string>()
  readonly #partners = new Map<TenantId, Partner>()
  #cutoffs: TrustCutoffs = new Map()
  #vouches: Vouches = new Map()
  #devices: DeviceTrusts | null = null
  #narrowings = 0

  constructor(tenantId: TenantId, members: Iterable<Uint8Array>) {
    this.#tenantId = tenantId
    for (const m of members) this.#members.add(toBase64Url(m))
  }

  addMember(signingKey: Uint8Array): void {
    this.#members.add(toBase64Url(signingKey))
  }

  /**
   * True when `signingKey` belongs to this tenant (not a partner): once the tenant has a
   * directory, a device of it whose writes are trusted (not removed, not a reader).
   */
  isMember(signingKey: Uint8Array): boolean {
    const id = toBase64Url(signingKey)
    if (this.#devices) return this.#devices.get(id)?.mode === 'except'
    return this.#members.has(id)
  }

  /**
   * Puts the tenant directory's device trust in force. From then on, this tenant's own signers
   * are its directory's devices, each trusted on the entries its {@link DeviceTrust} allows;
   * `null` (no directory yet) trusts the tenant record's members.
   */
  setDevices(devices: DeviceTrusts | null): void {
    const before = this.#devices
    this.#devices = devices
    if (before && [...before].some(([id, old]) => narrower(old, devices?.get(id)))) this.#narrowings++
  }

  /** True when some device of the tenant counts on fewer than all its entries (removed, a reader, promoted from one). */
  hasDeviceLimits(): boolean {
    for (const d of this.#devices?.values() ?? []) if (d.mode === 'only' || d.hashes.size) return true
    return false
  }

  /**
   * Counts the times a device's trust shrank (a removal, a demotion): a database that
   * materialised under the earlier trust rebuilds its documents when this moves.
   */
  get narrowings(): number {
    return this.#narrowings
  }

  members(): string[] {
    return [...this.#members]
  }

  setPartner(profile: VerifiedProfile, links: readonly DbLinkSpec[]): Partner {
    const partner: Partner = { profile, links: links.map(normaliseLink) }
    this.#partners.set(profile.tenantId, partner)
    return partner
  }

  removePartner(tenantId: TenantId): boolean {
    return this.#partners.delete(tenantId)
  }

  partners(): Partner[] {
    return [...this.#partners.values()]
  }

  partner(tenantId: TenantId): Partner | undefined {
    return this.#partners.get(tenantId)
  }

  /**
   * Replaces every cut-off: from now on a partner's signers count in a cut-off database only on
   * the entries it kept. Links and profiles are unchanged.
   */
  setCutoffs(cutoffs: TrustCutoffs): void {
    this.#cutoffs = cutoffs
  }

  /**
   * Replaces every vouch: from now on, in each database, the vouched signers count on entries of
   * the vouching partner's documents (within their kept entries once their grant ended).
   */
  setVouches(vouches: Vouches): void {
    this.#vouches = vouches
  }

  /** The vouches in force. */
  vouches(): Vouches {
    return this.#vouches
  }

  /** The cut-offs in force. */
  cutoffs(): TrustCutoffs {
    return this.#cutoffs
  }

  /**
   * A digest of every rule {@link TrustPolicy.evaluate} and {@link TrustPolicy.isMember} decide
   * by: equal digests decide every entry alike. A database's persisted index is trusted only under
   * the digest it was built with.
   */
  fingerprint(): string {
    const partners = [...this.#partners.values()].map((p) => ({
      tenant: p.profile.tenantId,
      members: p.profile.members.map(toBase64Url).sort(),
      links: p.links.map((l) => `${l.local}\u0000${l.remote}\u0000${l.signersOnly === true}`).sort(),
    }))
    return toHex(
      blake2b(
        packValue(
          stable({
            members: [...this.#members],
            devices: this.#devices,
            partners,
            cutoffs: this.#cutoffs,
            vouches: this.#vouches,
          }),
        ),
        16,
      ),
    )
  }

  /** Decides whether database `db` may materialise the entry `hash` with this origin and author. */
  evaluate(db: DbName, origin: Origin, author: Uint8Array, hash: ChangeHash): TrustDecision {
    if (!this.#originLinked(db, origin)) return { ok: false, code: ErrorCodes.ORIGIN_NOT_LINKED }
    if (!this.#authorTrusted(db, origin, toBase64Url(author), hash))
      return { ok: false, code: ErrorCodes.UNTRUSTED_SIGNER }
    return OK
  }

  #originLinked(db: DbName, origin: Origin): boolean {
    if (origin.tenant === this.#tenantId) return origin.db === db
    const p = this.#partners.get(origin.tenant)
    return p !== undefined && p.links.some((l) => l.local === db && l.remote === origin.db && !l.signersOnly)
  }

  #authorTrusted(db: DbName, origin: Origin, author: string, hash: ChangeHash): boolean {
    const device = this.#devices?.get(author)
    if (device) return device.mode === 'except' ? !device.hashes.has(hash) : device.hashes.has(hash)
    if (!this.#devices && this.#members.has(author)) return true
    for (const p of this.#partners.values()) {
      if (!p.links.some((l) => l.local === db)) continue
      if (!p.profile.profile.members.includes(author) && p.profile.profile.signingKey !== author) continue
      const cut = this.#cutoffs.get(p.profile.tenantId)?.get(db)
      if (!cut || cut.kept.has(hash) || (origin.tenant === p.profile.tenantId && cut.ownOrigins.has(origin.db)))
        return true
    }
    for (const v of this.#vouches.get(db)?.get(author) ?? []) {
      if (v.origin.tenant === origin.tenant && v.origin.db === origin.db && (v.kept === null || v.kept.has(hash)))
        return true
    }
    return false
  }
}

/** True when `next` trusts some entry `prev` trusted (or the device is gone). */
function narrower(prev: DeviceTrust, next: DeviceTrust | undefined): boolean {
  if (!next) return true
  if (prev.mode === 'except')
    return (
      next.mode === 'only' || [...prev.hashes].some((h) => !next.hashes.has(h)) || next.hashes.size > prev.hashes.size
    )
  return next.mode === 'only' && [...prev.hashes].some((h) => !next.hashes.has(h))
}

function normaliseLink(spec: DbLinkSpec): DbLink {
  if (typeof spec === 'string') return { local: asDbName(spec), remote: asDbName(spec) }
  const link = { local: asDbName(spec.local), remote: asDbName(spec.remote) }
  return spec.signersOnly ? { ...link, signersOnly: true } : link
}

/** A value with maps, sets and object keys in a canonical order, for hashing. */
function stable(v: unknown): unknown {
  if (v instanceof Uint8Array) return v
  if (v instanceof Map)
    return [...v].map(([k, x]) => [String(k), stable(x)] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  if (v instanceof Set) return [...v].map((x) => JSON.stringify(stable(x))).sort()
  if (Array.isArray(v)) return v.map(stable)
  if (v !== null && typeof v === 'object')
    return Object.keys(v)
      .sort()
      .map((k) => [k, stable((v as Record<string, unknown>)[k])])
  return v ?? null
}
