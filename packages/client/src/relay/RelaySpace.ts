import { ErrorCodes, isWeftError, WeftError, type GrantInfo, type Tenant } from '@weft/core'
import { bytesEqual, fromBase64Url } from '@weft/core/backend'
import { MAIL_LIMITS, MEMBERSHIP_EXPIRED } from '@weft/protocol'
import { registerMembers } from '../registerMembers.ts'
import { ServerConnection } from '../ServerConnection.ts'
import { decodeKeyMail, encodeKeyMail, keyMailTopic } from './keyMail.ts'
import { encodeRosterMail, RosterAssembler, rosterMailTopic } from './rosterMail.ts'
import { relaySpaceOf } from './relaySpaceOf.ts'

/** Where a relay space is and who this tenant is in it. */
export interface RelaySpaceOptions {
  readonly url: string
  readonly tenant: Tenant
  readonly grant: GrantInfo
  readonly fetch?: typeof fetch
}

/**
 * A grant's space on a relay server, seen from one of its two tenants. The space is a tenant of
 * its own on the server: the issuer's identity is its admin, the partner's identity its only
 * other member, and both sign in with their identities (`tenant.serverSigner()`). Its databases
 * hold the granted databases' entries, still encrypted and signed; its mailbox carries keys the
 * issuer seals to the partner after a rotation. Revoking or expiry removes the partner.
 */
export class RelaySpace {
  readonly grantId: string
  readonly connection: ServerConnection
  readonly #options: RelaySpaceOptions
  readonly #issuer: boolean
  #ready = false
  #opening: Promise<void> | undefined
  #shutOut = false
  /** Last mailbox message read (partner side). */
  #mailSeq = 0
  /** Last registration seq sent (issuer side): registrations must grow. */
  #regSeq = 0
  /** Co-writer keys registered as authors in the space (issuer side), to register again if the space is opened anew. */
  readonly #authors = new Set<string>()
  /** Roster parts read so far (partner side). */
  readonly #rosters: RosterAssembler
  /** Numbers of the issuer's messages read but not yet acknowledged: parts of a roster not complete yet (partner side). */
  #unacked: number[] = []

  constructor(options: RelaySpaceOptions) {
    this.#options = options
    this.grantId = options.grant.id
    this.#issuer = options.grant.role === 'issued'
    this.#rosters = new RosterAssembler(options.grant.id)
    this.connection = new ServerConnection({
      url: options.url,
      tenant: relaySpaceOf(options.grant.id),
      key: options.tenant.serverSigner(),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    })
  }

  /** True once this process opened (issuer) or signed in to (partner) the space. */
  get ready(): boolean {
    return this.#ready
  }

  /**
   * Makes the space usable for a round. Issuer: registers the partner as a member (once per
   * process). Partner: signs in and imports keys the issuer left in the mailbox. Failures are
   * typed: `WEFT_GRANT_REVOKED` / `WEFT_GRANT_EXPIRED` once the issuer shut the partner out,
   * `WEFT_PARTNER_UNAVAILABLE` while the issuer has not opened the space yet.
   */
  async prepare(): Promise<void> {
    if (this.#issuer) {
      if (this.#ready) return
      this.#opening ??= this.#open().finally(() => (this.#opening = undefined))
      return this.#opening
    }
    try {
      await this.connection.token()
      await this.#readMail()
    } catch (err) {
      this.#ready = false
      throw await this.#partnerError(err)
    }
    this.#ready = true
  }

  /**
   * Issuer: leaves sealed keys for the partner in the mailbox, addressed to it (so it can
   * acknowledge them) under the grant's key topic: each delivery holds every key of the grant, so
   * the server keeps only the newest and a grant whose keys rotate often never fills the mailbox.
   */
  async postKeys(sealed: readonly Uint8Array[]): Promise<void> {
    if (!this.#issuer) throw new WeftError(ErrorCodes.INVALID_ARGUMENT, "only the grant's issuer hands keys over")
    await this.prepare()
    await this.connection.mail('put', {
      body: encodeKeyMail(this.grantId, sealed),
      to: this.#partnerKey(),
      topic: keyMailTopic(this.grantId),
    })
  }

  /**
   * Issuer: hands the partner a new writer roster. The co-writers it lists are registered in the
   * space as authors (they may author entries there, never sign in), so the issuer can pass their
   * changes on; the roster itself goes to the mailbox, where the partner checks it.
   */
  async postRoster(roster: {
    readonly seq: number
    readonly writers?: readonly { readonly keys?: readonly string[] }[]
  }): Promise<void> {
    if (!this.#issuer) throw new WeftError(ErrorCodes.INVALID_ARGUMENT, "only the grant's issuer hands a roster over")
    const parts = encodeRosterMail(this.grantId, roster) // refuses one too large before anything changes
    await this.prepare()
    const fresh = [...new Set((roster.writers ?? []).flatMap((w) => w.keys ?? []))].filter((k) => !this.#authors.has(k))
    if (fresh.length) {
      await this.#register({ authors: fresh.map(fromBase64Url) })
      for (const k of fresh) this.#authors.add(k)
    }
    // The parts form one set of the grant's roster topic: the server frees older rosters' parts.
    const topic = rosterMailTopic(this.grantId)
    for (const body of parts)
      await this.connection.mail('put', { body, to: this.#partnerKey(), topic, set: roster.seq })
  }

  /** Issuer: removes the partner from the space; its sessions end and its pushes are refused. */
  async shutOut(): Promise<void> {
    if (!this.#issuer || this.#shutOut) return
    await this.#register({ revoke: [this.#partnerKey()] })
    this.#shutOut = true
    this.#ready = false
  }

  /**
   * Forgets that the space was opened, so the next round opens it again (issuer): the server
   * no longer knew this tenant, say after it lost its storage.
   */
  reset(): void {
    if (!this.#shutOut) this.#ready = false
  }

  async #open(): Promise<void> {
    try {
      // Admitted until the grant's expiry by the server's own clock, so the partner is shut out
      // then even if the issuer runs no round at that time.
      const { expiresAt } = this.#options.grant
      for (const k of await this.#coWriters()) this.#authors.add(k)
      await this.#register({
        add: [this.#partnerKey()],
        ...(expiresAt !== null ? { until: expiresAt } : {}),
        ...(this.#authors.size ? { authors: [...this.#authors].map(fromBase64Url) } : {}),
      })
    } catch (err) {
      if (isWeftError(err) && err.code === ErrorCodes.FORBIDDEN) {
        throw new WeftError(
          ErrorCodes.FORBIDDEN,
          `the relay space of grant ${this.grantId} is held by another key: ${err.message}`,
          { cause: err },
        )
      }
      throw err
    }
    this.#shutOut = false
    this.#ready = true
  }

  #register(change: {
    add?: Uint8Array[]
    revoke?: Uint8Array[]
    until?: number
    authors?: Uint8Array[]
  }): Promise<unknown> {
    // Registrations must carry a growing seq: the clock, kept above what this process sent.
    this.#regSeq = Math.max(Date.now(), this.#regSeq + 1)
    return registerMembers({
      url: this.#options.url,
      tenant: relaySpaceOf(this.grantId),
      admin: this.#options.tenant.serverSigner(),
      seq: this.#regSeq,
      ...change,
      ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
    })
  }

  /**
   * Partner: reads what the issuer left since the last read, takes it in, and acknowledges
   * (deletes) what it took in: key mail at once, roster parts once their roster is complete.
   */
  async #readMail(): Promise<void> {
    const issuerKey = fromBase64Url(this.#options.grant.grant.source.signingKey)
    const own = this.connection.publicKey
    for (;;) {
      const page = await this.connection.mail('list', { after: this.#mailSeq })
      const done: number[] = []
      for (const m of page.messages) {
        if (bytesEqual(m.from, issuerKey)) {
          // Only messages addressed to this key can be acknowledged (older issuers addressed none).
          const ackable = m.to !== undefined && bytesEqual(m.to, own)
          const taken = await this.#take(m.body)
          if (ackable && taken === 'keys') done.push(m.seq)
          if (ackable && taken !== 'keys') this.#unacked.push(m.seq)
          if (taken === 'roster') done.push(...this.#unacked.splice(0))
        }
        this.#mailSeq = Math.max(this.#mailSeq, m.seq)
      }
      for (let i = 0; i < done.length; i += MAIL_LIMITS.maxDelete) {
        await this.connection.mail('delete', { seqs: done.slice(i, i + MAIL_LIMITS.maxDelete) })
      }
      if (!page.more) return
    }
  }

  /**
   * Issuer: the signing keys of the other partners with write grants on this grant's databases,
   * live or ended: the co-writers whose entries the issuer may pass on through this space. Read
   * from the issuer's own grants, so a space opened again (a new process, a server that lost it)
   * admits them before any roster is handed over again.
   */
  async #coWriters(): Promise<string[]> {
    const { grant } = this.#options.grant
    const issued = await this.#options.tenant.sharing.list({ role: 'issued' })
    return issued
      .filter(
        (g) =>
          g.partner !== grant.partner.tenantId &&
          g.permissions.includes('write') &&
          g.databases.some((d) => grant.databases.includes(d)),
      )
      .map((g) => g.grant.partner.signingKey)
  }

  /** One message from the issuer: sealed keys (taken in), a part of a writer roster (taken in once complete), or neither. */
  async #take(body: Uint8Array): Promise<'keys' | 'roster' | 'part'> {
    const authority = this.#options.tenant.syncAuthority
    const keys = decodeKeyMail(body, this.grantId)
    if (keys) {
      await authority.receiveKeys(this.grantId, keys.sealed)
      return 'keys'
    }
    const roster = this.#rosters.add(body)
    if (roster === undefined) return 'part'
    await authority.receiveRoster?.(this.grantId, roster)
    return 'roster'
  }

  #partnerKey(): Uint8Array {
    return fromBase64Url(this.#options.grant.grant.partner.signingKey)
  }

  async #partnerError(err: unknown): Promise<unknown> {
    if (!isWeftError(err)) return err
    if (err.code === ErrorCodes.FORBIDDEN) {
      // Expired by this tenant's clock, or by the server's (which admitted us until expiresAt).
      const { expiresAt } = this.#options.grant
      const expired =
        expiresAt !== null && (this.#options.tenant.now() >= expiresAt || err.message === MEMBERSHIP_EXPIRED)
      return new WeftError(
        expired ? ErrorCodes.GRANT_EXPIRED : ErrorCodes.GRANT_REVOKED,
        `grant ${this.grantId}: ${expired ? 'expired' : 'revoked by its issuer'}; the relay no longer admits this tenant`,
        { cause: err },
      )
    }
    if (err.code === ErrorCodes.UNAUTHORIZED) {
      // The issuer opens the space at its first round the grant allows: after approval, if it needs one.
      const pending = (await this.#options.tenant.sharing.get(this.grantId))?.status === 'pending'
      return pending
        ? new WeftError(ErrorCodes.GRANT_NOT_APPROVED, `grant ${this.grantId}: waiting for approval by its issuer`, {
            cause: err,
          })
        : new WeftError(
            ErrorCodes.PARTNER_UNAVAILABLE,
            `grant ${this.grantId}: the issuer has not opened the relay space yet`,
            { cause: err },
          )
    }
    return err
  }
}
