import { fromBase64Url, toBase64Url } from '../codec/index.ts'
import { constantTimeEqual } from '../crypto/index.ts'
import { ErrorCodes, toWeftError, WeftError } from '../errors.ts'
import { sealKeyVersions } from '../keys/index.ts'
import { Mutex } from '../store/index.ts'
import { verifyProfile, type PublicProfile, type VerifiedProfile } from '../tenant/index.ts'
import { asKeyId } from '../types.ts'
import { createGrant } from './createGrant.ts'
import type { GrantFilter, GrantOffer } from './Grant.ts'
import { GrantAuthority } from './GrantAuthority.ts'
import { GrantBook } from './GrantBook.ts'
import { issuedInfo, receivedInfo, type GrantInfo } from './GrantInfo.ts'
import type { IssuedGrantRecord, ReceivedGrantRecord } from './GrantRecords.ts'
import { listDocuments, type DocumentListing } from './listDocuments.ts'
import { parseGrantOffer } from './parseGrant.ts'
import type { AcceptOptions, ShareOptions } from './shareOptions.ts'
import type { SharingHost } from './SharingHost.ts'
import { verifyGrant } from './verifyGrant.ts'

/**
 * A tenant's grants, issued and received (`tenant.sharing`). The issuer signs a grant and seals
 * its keys to the partner; the partner accepts it (verifies, trusts the source for the granted
 * databases, imports the keys). Revocation and expiry rotate the grant's keys. Its
 * `syncAuthority` checks every orchestrated round under a grant. Every step goes to the audit
 * trail.
 */
export class SharingManager {
  readonly #book: GrantBook
  readonly #acceptLock = new Mutex()
  /** This tenant's rules for orchestrated rounds; `tenant.syncAuthority` is this. */
  readonly syncAuthority: GrantAuthority

  /** @internal Use `tenant.sharing`. */
  constructor(host: SharingHost) {
    this.#book = new GrantBook(host)
    this.syncAuthority = new GrantAuthority(this.#book)
  }

  /**
   * Issues a grant to `options.partner` and returns the offer to hand over (plain JSON). With
   * `write`, this tenant starts trusting the partner's signatures on the granted databases.
   */
  async share(options: ShareOptions): Promise<GrantOffer> {
    await this.#book.load()
    const host = this.#book.host
    const partner = verifyProfile(options.partner)
    if (partner.tenantId === host.tenantId)
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'a tenant cannot share with itself')
    const databases = [...new Set(options.databases)]
    const keyIds = options.keys ? [...new Set(options.keys)] : await this.#keysInUse(databases)
    for (const k of keyIds) if (!host.keyBag.has(k)) throw new WeftError(ErrorCodes.KEY_NOT_FOUND, `no key named ${k}`)
    const now = host.now()
    const expiresAt = options.expiresAt instanceof Date ? options.expiresAt.getTime() : (options.expiresAt ?? null)
    const grant = createGrant({
      source: { tenantId: host.tenantId, signer: host.signer },
      partner,
      databases,
      keyIds,
      filter: options.filter ?? null,
      permissions: options.permissions ?? ['read'],
      conditions: {
        allowedEnvironments: options.allowedEnvironments ? [...options.allowedEnvironments] : null,
        maxSyncs: options.maxSyncs ?? null,
        requiresApproval: options.requiresApproval ?? false,
      },
      issuedAt: now,
      expiresAt,
    })
    const pending = grant.conditions.requiresApproval
    const sealed = pending ? [] : keyIds.map((k) => this.#seal(k, host.keyBag.versions(k), partner))
    const delivered: Record<string, number> = {}
    if (!pending) for (const k of keyIds) delivered[k] = host.keyBag.current(k).version
    const record: IssuedGrantRecord = {
      v: 1,
      grant,
      status: pending ? 'pending' : 'active',
      approvedAt: null,
      endedAt: null,
      rotationPending: false,
      syncs: 0,
      lastSyncAt: null,
      delivered,
    }
    if (grant.permissions.includes('write')) {
      // The partner's signatures count on our documents; documents of its own are never taken in.
      await this.#book.trust(
        partner.profile,
        databases.map((d) => ({ local: d, remote: d, signersOnly: true })),
      )
      // A live write grant lifts a cut-off left by an earlier one on the same databases.
      await this.#book.writeTrust.update(() => this.#book.putIssued(record))
    } else {
      await this.#book.putIssued(record)
    }
    await this.#book.audit({
      action: 'share',
      partner: partner.tenantId,
      databases,
      grantId: grant.id,
      detail: describe(grant),
    })
    return { v: 1, grant, sourceProfile: host.publicProfile(), keys: sealed.map(toBase64Url) }
  }

  /**
   * Accepts a grant offer addressed to this tenant: checks the source's signature on the grant and
   * its profile, trusts the source's signers for the granted databases, imports the sealed keys.
   * `WEFT_BAD_GRANT` for a forged, malformed or misaddressed offer; `WEFT_GRANT_EXPIRED` when it
   * has already expired by this tenant's clock. Accepting the same grant again changes nothing.
   */
  accept(offerValue: GrantOffer | unknown, options: AcceptOptions = {}): Promise<GrantInfo> {
    return this.#acceptLock.run(async () => {
      await this.#book.load()
      const host = this.#book.host
      const offer = parseGrantOffer(offerValue)
      const grant = verifyGrant(offer.grant)
      const source = this.#sourceProfile(offer.sourceProfile, grant.source)
      const me = host.publicProfile()
      if (
        grant.partner.tenantId !== host.tenantId ||
        grant.partner.signingKey !== me.signingKey ||
        grant.partner.boxKey !== me.boxKey
      ) {
        throw new WeftError(ErrorCodes.BAD_GRANT, `grant ${grant.id} is not addressed to this tenant`)
      }
      const existing = this.#book.received.get(grant.id)
      if (existing) return receivedInfo(existing, host.now())
      const now = host.now()
      if (grant.expiresAt !== null && now >= grant.expiresAt)
        throw new WeftError(ErrorCodes.GRANT_EXPIRED, `grant ${grant.id} has expired`)
      const keys = offer.keys.map((k) => this.#book.openKey(fromBase64Url(k), source.signingKey, grant.keyIds))
      const databases: Record<string, string> = {}
      for (const d of grant.databases) databases[d] = options.databases?.[d] ?? d
      const keyNames: Record<string, string> = {}
      for (const k of grant.keyIds) keyNames[k] = options.keyNames?.[k] ?? k
      // Refuse a key name clash before changing anything.
      for (const k of keys) {
        const name = keyNames[k.keyId]!
        if (host.keyBag.has(name) && !k.versions.some((v) => sameKey(host.keyBag.get(name, v.version), v.key))) {
          throw new WeftError(
            ErrorCodes.INVALID_ARGUMENT,
            `this tenant has another key named ${name}: accept with { keyNames: { '${k.keyId}': '<another name>' } }`,
          )
        }
      }
      await this.#book.trust(
        source.profile,
        grant.databases.map((d) => ({ local: databases[d]!, remote: d })),
      )
      for (const k of keys) await host.keyBag.addVersions(asKeyId(keyNames[k.keyId]!), k.versions)
      const record: ReceivedGrantRecord = {
        v: 1,
        grant,
        sourceProfile: source.profile,
        acceptedAt: now,
        databases,
        keyNames,
        status: grant.conditions.requiresApproval ? 'pending' : 'active',
        lastSyncAt: null,
      }
      // The source's own documents it shares here stay trusted if this tenant cut off its writes.
      await this.#book.writeTrust.update(() => this.#book.putReceived(record))
      await this.#book.audit({
        action: 'accept',
        partner: grant.source.tenantId,
        databases: grant.databases,
        grantId: grant.id,
        detail: describe(grant),
      })
      return receivedInfo(record, now)
    })
  }

  /** Approves a grant issued with `requiresApproval`; syncs under it may run from now on. */
  async approve(grantId: string): Promise<GrantInfo> {
    const rec = await this.#issuedOrThrow(grantId)
    return this.#book.lockOf(grantId).run(async () => {
      const current = this.#book.issued.get(grantId)!
      const now = this.#book.host.now()
      if (current.status === 'revoked') throw new WeftError(ErrorCodes.GRANT_REVOKED, `grant ${grantId} was revoked`)
      if (await this.#book.expireIfDue(current, now))
        throw new WeftError(ErrorCodes.GRANT_EXPIRED, `grant ${grantId} has expired`)
      if (current.status === 'expired') throw new WeftError(ErrorCodes.GRANT_EXPIRED, `grant ${grantId} has expired`)
      if (current.status === 'active') return issuedInfo(current, now)
      const next: IssuedGrantRecord = { ...current, status: 'active', approvedAt: now }
      await this.#book.putIssued(next)
      await this.#book.audit({
        action: 'approve',
        partner: rec.grant.partner.tenantId,
        databases: rec.grant.databases,
        grantId,
      })
      return issuedInfo(next, now)
    })
  }

  /**
   * Revokes a grant this tenant issued: no round runs under it any more, and every key it covers
   * is rotated, so documents written from now on are encrypted under a version the partner never
   * receives. What the partner already received stays with it. With `write`, the partner's
   * signers count on the granted databases only for the entries those databases hold now (unless
   * another live write grant to the partner covers a database): later ones are held as untrusted,
   * whatever path brings them.
   */
  async revoke(grantId: string): Promise<GrantInfo> {
    await this.#issuedOrThrow(grantId)
    return this.#book.lockOf(grantId).run(async () => {
      const rec = this.#book.issued.get(grantId)!
      const now = this.#book.host.now()
      if (rec.status === 'revoked') return issuedInfo(rec, now)
      const rotate = rec.status !== 'expired' // an expired grant's keys were rotated when it expired
      await this.#book.end(rec, 'revoked', now, rotate)
      return issuedInfo(this.#book.issued.get(grantId)!, now)
    })
  }

  /**
   * @internal Reads the grant records and puts the cut-offs of ended write grants in force; the
   * tenant waits for it before its databases materialise anything.
   */
  loadTrust(): Promise<void> {
    return this.#book.loadTrust()
  }

  /**
   * Marks every issued grant past its `expiresAt` as expired (rotating its keys, cutting off a
   * write partner's trust as {@link SharingManager.revoke} does); returns them.
   */
  async expireDue(): Promise<GrantInfo[]> {
    await this.#book.load()
    const out: GrantInfo[] = []
    for (const id of [...this.#book.issued.keys()]) {
      await this.#book.lockOf(id).run(async () => {
        const now = this.#book.host.now()
        if (await this.#book.expireIfDue(this.#book.issued.get(id)!, now))
          out.push(issuedInfo(this.#book.issued.get(id)!, now))
      })
    }
    return out
  }

  /** Local names of the keys this tenant holds from grants it accepted: their owners rotate them, not this tenant. */
  async receivedKeyNames(): Promise<string[]> {
    await this.#book.load()
    return [...this.#book.received.values()].flatMap((r) => Object.values(r.keyNames))
  }

  /** A grant issued or received by this tenant, or undefined. */
  async get(grantId: string): Promise<GrantInfo | undefined> {
    await this.#book.load()
    const now = this.#book.host.now()
    const issued = this.#book.issued.get(grantId)
    if (issued) return issuedInfo(issued, now)
    const received = this.#book.received.get(grantId)
    return received ? receivedInfo(received, now) : undefined
  }

  /** Grants issued and received, oldest first; `role` narrows to one side. */
  async list(options: { role?: 'issued' | 'received' } = {}): Promise<GrantInfo[]> {
    await this.#book.load()
    const now = this.#book.host.now()
    const out: GrantInfo[] = []
    if (options.role !== 'received') for (const r of this.#book.issued.values()) out.push(issuedInfo(r, now))
    if (options.role !== 'issued') for (const r of this.#book.received.values()) out.push(receivedInfo(r, now))
    return out.sort((a, b) => a.issuedAt - b.issuedAt)
  }

  /** A database's documents as own and shared, shared ones with their grant, sharer, permissions and expiry. */
  async listDocuments(db: string): Promise<DocumentListing> {
    await this.#book.load()
    return listDocuments(await this.#book.host.openDB(db), [...this.#book.received.values()], this.#book.host.now())
  }

  /** Keys of the documents these databases hold now; refuses the tenant-wide `default` key. */
  async #keysInUse(databases: readonly string[]): Promise<string[]> {
    const keys = new Set<string>()
    for (const name of databases) {
      for (const d of await (await this.#book.host.openDB(name)).listDocuments())
        if (d.own && d.keyId) keys.add(d.keyId)
    }
    if (keys.has('default')) {
      throw new WeftError(
        ErrorCodes.INVALID_ARGUMENT,
        'shared documents are under the tenant-wide "default" key: share databases opened with a named key',
      )
    }
    if (keys.size === 0)
      throw new WeftError(
        ErrorCodes.INVALID_ARGUMENT,
        'the databases hold no documents yet: name the keys to share with `keys`',
      )
    return [...keys]
  }

  #seal(keyId: string, versions: ReturnType<SharingHost['keyBag']['versions']>, partner: VerifiedProfile): Uint8Array {
    return sealKeyVersions(keyId, versions, partner.boxKey, this.#book.host.signer)
  }

  #sourceProfile(profile: PublicProfile, source: { tenantId: string; signingKey: string }): VerifiedProfile {
    let verified: VerifiedProfile
    try {
      verified = verifyProfile(profile)
    } catch (cause) {
      throw new WeftError(ErrorCodes.BAD_GRANT, "the grant offer's source profile does not verify", {
        cause: toWeftError(cause, ErrorCodes.BAD_PROFILE),
      })
    }
    if (verified.tenantId !== source.tenantId || verified.profile.signingKey !== source.signingKey) {
      throw new WeftError(ErrorCodes.BAD_GRANT, 'the grant was not signed by the tenant whose profile came with it')
    }
    return verified
  }

  async #issuedOrThrow(grantId: string): Promise<IssuedGrantRecord> {
    await this.#book.load()
    const rec = this.#book.issued.get(grantId)
    if (rec) return rec
    if (this.#book.received.has(grantId))
      throw new WeftError(
        ErrorCodes.INVALID_ARGUMENT,
        `grant ${grantId} was issued by another tenant: only its issuer can change it`,
      )
    throw new WeftError(ErrorCodes.GRANT_NOT_FOUND, `no grant ${grantId} issued by ${this.#book.host.tenantId}`)
  }
}

function sameKey(held: Uint8Array | undefined, incoming: Uint8Array): boolean {
  return held !== undefined && constantTimeEqual(held, incoming)
}

function describe(grant: {
  permissions: readonly string[]
  expiresAt: number | null
  filter: GrantFilter | null
}): string {
  const parts = [grant.permissions.join('+')]
  if (grant.filter) parts.push(`filter ${JSON.stringify(grant.filter.where)}`)
  if (grant.expiresAt !== null) parts.push(`expires ${new Date(grant.expiresAt).toISOString()}`)
  return parts.join(', ')
}
