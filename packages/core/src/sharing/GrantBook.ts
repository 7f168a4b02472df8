import { bytesEqual } from '../codec/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import { openSealedKeyVersions, type OpenedSealedKey } from '../keys/index.ts'
import { Mutex } from '../store/index.ts'
import type { DbLinkSpec, PublicProfile } from '../tenant/index.ts'
import type { AuditEvent } from './auditEvents.ts'
import { GrantRecords, type IssuedGrantRecord, type ReceivedGrantRecord } from './GrantRecords.ts'
import type { SharingHost } from './SharingHost.ts'
import { hasPermission } from './Grant.ts'
import { isLive, WriteTrust } from './WriteTrust.ts'
import { vouchesOf } from './vouchesOf.ts'
import type { SignedWriterRoster } from './WriterRoster.ts'

/**
 * @internal A tenant's grant records in memory and in storage, with the steps both the sharing
 * API and the sync authority take: locking a grant, ending it (expiry, revocation) with its key
 * rotation and the end of a write partner's trust, trusting a partner, opening sealed keys,
 * auditing.
 */
export class GrantBook {
  readonly host: SharingHost
  readonly issued = new Map<string, IssuedGrantRecord>()
  readonly received = new Map<string, ReceivedGrantRecord>()
  /** The newest writer roster of each received grant. */
  readonly rosters = new Map<string, SignedWriterRoster>()
  /** Trust in write partners' signers, cut off when their last write grant on a database ends. */
  readonly writeTrust: WriteTrust
  readonly #locks = new Map<string, Mutex>()
  #records: GrantRecords | undefined
  #reading: Promise<void> | undefined
  #loading: Promise<void> | undefined
  /** True once {@link load} has finished. */
  loaded = false

  constructor(host: SharingHost) {
    this.host = host
    this.writeTrust = new WriteTrust(host, this)
  }

  /**
   * Reads the records once and puts the write-trust cut-offs in force. The tenant waits for this
   * before any of its databases materialises.
   */
  loadTrust(): Promise<void> {
    this.#reading ??= (async () => {
      const { kv, prefix } = await this.host.openRecords()
      this.#records = new GrantRecords(kv, prefix)
      const { issued, received, rosters } = await this.#records.loadAll()
      for (const r of issued) this.issued.set(r.grant.id, r)
      for (const r of received) this.received.set(r.grant.id, r)
      for (const r of rosters) this.rosters.set(r.grantId, r)
      await this.writeTrust.load()
      await this.installVouches()
    })().catch((err: unknown) => {
      this.#reading = undefined
      throw err
    })
    return this.#reading
  }

  /** Loads the records once; finishes a key rotation a crash interrupted. */
  load(): Promise<void> {
    this.#loading ??= (async () => {
      await this.loadTrust()
      for (const r of [...this.issued.values()]) if (r.rotationPending) await this.rotate(r.grant.id)
      this.loaded = true
    })().catch((err: unknown) => {
      this.#loading = undefined
      throw err
    })
    return this.#loading
  }

  /** Serialises everything that reads and changes one grant (rounds under it, revocation, approval). */
  lockOf(grantId: string): Mutex {
    let lock = this.#locks.get(grantId)
    if (!lock) this.#locks.set(grantId, (lock = new Mutex()))
    return lock
  }

  async putIssued(rec: IssuedGrantRecord): Promise<void> {
    await this.#records!.putIssued(rec)
    this.issued.set(rec.grant.id, rec)
  }

  /** Keeps a received grant's newest roster and puts the vouches in force. */
  async putRoster(roster: SignedWriterRoster): Promise<void> {
    await this.#records!.putRoster(roster)
    this.rosters.set(roster.grantId, roster)
    await this.installVouches()
  }

  /** Puts in force what the rosters of received grants vouch for. */
  installVouches(): Promise<void> {
    return this.host.setVouches(vouchesOf(this.received, this.rosters))
  }

  async putReceived(rec: ReceivedGrantRecord): Promise<void> {
    await this.#records!.putReceived(rec)
    this.received.set(rec.grant.id, rec)
  }

  audit(event: AuditEvent): Promise<unknown> {
    return this.host.audit.record(event)
  }

  /** If a live grant is past `expiresAt` by `now`, ends it as expired. Returns whether it did. */
  async expireIfDue(rec: IssuedGrantRecord, now: number): Promise<boolean> {
    if (!isDue(rec, now)) return false
    await this.end(rec, 'expired', now, true)
    return true
  }

  /**
   * Ends a grant: a live write grant's trust cut-off recorded first, then the grant saved (with
   * the rotation pending), then its keys rotated, then audited.
   */
  async end(rec: IssuedGrantRecord, status: 'revoked' | 'expired', now: number, rotate: boolean): Promise<void> {
    const save = (): Promise<void> =>
      this.putIssued({ ...rec, status, endedAt: rec.endedAt ?? now, rotationPending: rotate })
    if (isLive(rec) && hasPermission(rec.grant, 'write')) await this.writeTrust.end(rec.grant, save)
    else await save()
    const rotated = rotate ? await this.rotate(rec.grant.id) : []
    await this.audit({
      action: status === 'revoked' ? 'revoke' : 'expire',
      partner: rec.grant.partner.tenantId,
      databases: rec.grant.databases,
      grantId: rec.grant.id,
      detail: rotated.length ? `rotated ${rotated.join(', ')}` : undefined,
    })
  }

  /** Rotates every key of a grant; returns what it did, as `name to vN`. */
  async rotate(grantId: string): Promise<string[]> {
    const rec = this.issued.get(grantId)!
    const rotated: string[] = []
    for (const k of rec.grant.keyIds)
      if (this.host.keyBag.has(k)) rotated.push(`${k} to v${await this.host.keyBag.rotateKey(k)}`)
    await this.putIssued({ ...this.issued.get(grantId)!, rotationPending: false })
    return rotated
  }

  /**
   * Adds database links for a partner, keeping the ones it has. A pair linked both ways (signers
   * only, and with its documents) keeps the wider link.
   */
  async trust(
    profile: PublicProfile,
    add: readonly { local: string; remote: string; signersOnly?: boolean }[],
  ): Promise<void> {
    const existing = this.host.partners().find((p) => p.profile.tenantId === profile.tenantId)?.links ?? []
    const links = new Map<string, { local: string; remote: string; signersOnly: boolean }>()
    for (const l of [...existing, ...add]) {
      const k = `${l.local}\u0000${l.remote}`
      const signersOnly = l.signersOnly === true && (links.get(k)?.signersOnly ?? true)
      links.set(k, { local: l.local, remote: l.remote, signersOnly })
    }
    const specs: DbLinkSpec[] = [...links.values()].map((l) =>
      l.signersOnly ? l : { local: l.local, remote: l.remote },
    )
    await this.host.addPartner(profile, { dbs: specs })
  }

  /** Opens a key sealed to this tenant by `sender` for a grant naming `allowed`; `WEFT_BAD_GRANT` otherwise. */
  openKey(sealed: Uint8Array, sender: Uint8Array, allowed: readonly string[]): OpenedSealedKey {
    let opened: OpenedSealedKey
    try {
      opened = openSealedKeyVersions(sealed, this.host.box)
    } catch (cause) {
      throw new WeftError(ErrorCodes.BAD_GRANT, 'a sealed key of the grant does not open', { cause })
    }
    if (!bytesEqual(opened.sender, sender))
      throw new WeftError(ErrorCodes.BAD_GRANT, "a sealed key was not sealed by the grant's source")
    if (!allowed.includes(opened.keyId))
      throw new WeftError(ErrorCodes.BAD_GRANT, `sealed key ${opened.keyId} is not named by the grant`)
    return opened
  }
}

/** True when a live grant is past its `expiresAt` by `now`. */
export function isDue(rec: IssuedGrantRecord, now: number): boolean {
  return (
    (rec.status === 'active' || rec.status === 'pending') && rec.grant.expiresAt !== null && now >= rec.grant.expiresAt
  )
}
