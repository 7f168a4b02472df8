import { fromBase64Url } from '../codec/index.ts'
import type { DocFilter } from '../db/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import {
  OPEN_PERMIT,
  type RoundOutcome,
  type SyncAuthority,
  type SyncPermit,
  type SyncRequest,
} from '../orchestrator/index.ts'
import { asKeyId } from '../types.ts'
import { hasPermission, type Grant } from './Grant.ts'
import { isDue, type GrantBook } from './GrantBook.ts'
import { deliveryDue, pendingDelivery } from './grantDelivery.ts'
import { verifyWriterRoster } from './verifyWriterRoster.ts'
import { grantDenial, isGrantDenial } from './grantDenial.ts'
import { grantTransferFilter } from './grantFilters.ts'
import type { IssuedGrantRecord, ReceivedGrantRecord, ReceivedGrantStatus } from './GrantRecords.ts'

type Round = (permit: SyncPermit) => Promise<RoundOutcome>
type Counts = { sent: number; received: number; databases: string[] }

/**
 * A tenant's rules for orchestrated rounds (`tenant.syncAuthority`). As a grant's issuer it checks
 * every round (expiry by its own clock, revocation, approval, environment, `maxSyncs`, the
 * transfers against databases and permissions), holds the grant's lock for the round so a
 * revocation waits for it, hands newer key versions to the partner, and counts and audits what
 * moved. As a grant's partner it records what the issuer decided. Rounds without a grant pass,
 * and are audited when they move data.
 */
export class GrantAuthority implements SyncAuthority {
  readonly #book: GrantBook
  readonly #filterCache = new WeakMap<Grant, WeakMap<SyncRequest, DocFilter[]>>()

  constructor(book: GrantBook) {
    this.#book = book
  }

  async guard(request: SyncRequest, round: Round): Promise<RoundOutcome> {
    const book = this.#book
    if (!book.loaded) await book.load()
    const grantId = request.grantId
    if (grantId === undefined) return this.#guardOpen(request, round)
    if (book.issued.has(grantId))
      return book.lockOf(grantId).run(() => this.#guardIssued(book.issued.get(grantId)!, request, round))
    const received = book.received.get(grantId)
    if (received) return this.#guardReceived(received, request, round)
    const error = new WeftError(
      ErrorCodes.GRANT_NOT_FOUND,
      `no grant ${grantId} issued or accepted by ${book.host.tenantId}`,
    )
    await book.audit({
      action: 'denied',
      partner: this.#other(request),
      grantId,
      relationshipId: request.relationshipId,
      code: error.code,
    })
    throw error
  }

  /**
   * True when a round under the request's grant would pass right now and needs nothing done
   * first (no expiry to record, no keys to hand over). Reads only memory.
   */
  wouldAllow(request: SyncRequest): boolean {
    const book = this.#book
    const grantId = request.grantId
    if (!book.loaded) return false
    if (grantId === undefined) return true
    const issued = book.issued.get(grantId)
    if (issued) {
      const now = book.host.now()
      return !isDue(issued, now) && grantDenial(issued, request, now) === undefined && !deliveryDue(book, issued)
    }
    const received = book.received.get(grantId)
    return received !== undefined && received.status === 'active'
  }

  /** Imports keys the grant's source sealed to this tenant (newer versions after a rotation). */
  async receiveKeys(grantId: string, sealed: readonly Uint8Array[]): Promise<void> {
    await this.#book.load()
    const rec = this.#book.received.get(grantId)
    if (!rec) throw new WeftError(ErrorCodes.GRANT_NOT_FOUND, `no accepted grant ${grantId}`)
    const keys = sealed.map((s) => this.#book.openKey(s, fromBase64Url(rec.grant.source.signingKey), rec.grant.keyIds))
    for (const k of keys)
      await this.#book.host.keyBag.addVersions(asKeyId(rec.keyNames[k.keyId] ?? k.keyId), k.versions)
  }

  /**
   * Takes in a writer roster from the issuer of a grant this tenant accepted: checks the issuer's
   * signature and that it names only the grant's databases (`WEFT_BAD_GRANT` otherwise), ignores
   * one not newer than the roster held, and puts its vouches in force.
   */
  async receiveRoster(grantId: string, value: unknown): Promise<void> {
    await this.#book.load()
    const rec = this.#book.received.get(grantId)
    if (!rec) throw new WeftError(ErrorCodes.GRANT_NOT_FOUND, `no accepted grant ${grantId}`)
    const roster = verifyWriterRoster(value, rec.grant)
    await this.#book.lockOf(grantId).run(async () => {
      const held = this.#book.rosters.get(grantId)
      if (held && roster.seq <= held.seq) return // replayed or out of order: the newer one stands
      await this.#book.putRoster(roster)
    })
  }

  /** Records a refusal by the other peer's authority in this tenant's books. */
  async refused(request: SyncRequest, error: Error): Promise<void> {
    await this.#book.load()
    const grantId = request.grantId
    if (grantId === undefined || !isGrantDenial(error)) return
    const received = this.#book.received.get(grantId)
    const issued = this.#book.issued.get(grantId)
    if (received) await this.#learnStatus(grantId, statusFromDenial(error.code))
    if (received) await this.#denied(received.grant.source.tenantId, request, error)
    else if (issued) await this.#denied(issued.grant.partner.tenantId, request, error)
  }

  async #guardOpen(request: SyncRequest, round: Round): Promise<RoundOutcome> {
    const outcome = await round(OPEN_PERMIT)
    const counts = this.#counts(outcome)
    if (counts.sent || counts.received) {
      await this.#book.audit({
        action: 'sync',
        partner: this.#other(request),
        relationshipId: request.relationshipId,
        ...counts,
      })
    }
    return outcome
  }

  async #guardIssued(rec: IssuedGrantRecord, request: SyncRequest, round: Round): Promise<RoundOutcome> {
    const book = this.#book
    const now = book.host.now()
    if (isDue(rec, now)) await book.expireIfDue(rec, now)
    const current = book.issued.get(rec.grant.id)!
    const denial = grantDenial(current, request, now)
    if (denial) {
      await this.#denied(current.grant.partner.tenantId, request, denial)
      throw denial
    }
    const keys = pendingDelivery(book, current)
    const filters = this.#filters(current.grant, request)
    let outcome: RoundOutcome
    try {
      outcome = await round(keys ? { filters, keys: [keys] } : { filters })
    } catch (err) {
      if (isGrantDenial(err)) await this.#denied(current.grant.partner.tenantId, request, err)
      throw err
    }
    const counts = this.#counts(outcome)
    if (counts.sent || counts.received) {
      const latest = book.issued.get(rec.grant.id)!
      await book.putIssued({ ...latest, syncs: latest.syncs + 1, lastSyncAt: now })
      await book.audit({
        action: 'sync',
        partner: current.grant.partner.tenantId,
        grantId: current.grant.id,
        relationshipId: request.relationshipId,
        ...counts,
      })
    }
    return outcome
  }

  async #guardReceived(rec: ReceivedGrantRecord, request: SyncRequest, round: Round): Promise<RoundOutcome> {
    let outcome: RoundOutcome
    try {
      outcome = await round(this.#partnerPermit(rec, request))
    } catch (err) {
      if (isGrantDenial(err)) {
        await this.#learnStatus(rec.grant.id, statusFromDenial(err.code))
        await this.#denied(rec.grant.source.tenantId, request, err)
      }
      throw err
    }
    const counts = this.#counts(outcome)
    const moved = counts.sent > 0 || counts.received > 0
    const learned = this.#learnStatus(rec.grant.id, 'active', moved ? this.#book.host.now() : undefined)
    if (learned) await learned
    if (moved) {
      await this.#book.audit({
        action: 'sync',
        partner: rec.grant.source.tenantId,
        grantId: rec.grant.id,
        relationshipId: request.relationshipId,
        ...counts,
      })
    }
    return outcome
  }

  /**
   * As a grant's partner, this tenant applies the grant to what it sends back itself: only with
   * `write`, and only the source's documents that match the grant's filter. The issuer checks the
   * same when it runs the round; when the issuer is remote (a relay in between), this is the check
   * that runs before anything leaves.
   */
  #partnerPermit(rec: ReceivedGrantRecord, request: SyncRequest): SyncPermit {
    const me = this.#book.host.tenantId
    const sends = request.transfers.map((t) => t.from.tenant === me)
    if (!sends.includes(true)) return OPEN_PERMIT
    const g = rec.grant
    if (!hasPermission(g, 'write')) {
      throw new WeftError(
        ErrorCodes.PERMISSION_DENIED,
        `grant ${g.id}: no write permission: changes are not sent back to ${g.source.tenantId}`,
      )
    }
    return { filters: request.transfers.map((t, i) => (sends[i] ? this.#filters(g, request)[i] : undefined)) }
  }

  /** Saves what the issuer reported about a received grant, when it changed anything. */
  #learnStatus(grantId: string, status: ReceivedGrantStatus | undefined, syncedAt?: number): Promise<void> | undefined {
    const rec = this.#book.received.get(grantId)
    if (!rec || status === undefined || (rec.status === status && syncedAt === undefined)) return undefined
    return this.#book.putReceived({ ...rec, status, lastSyncAt: syncedAt ?? rec.lastSyncAt })
  }

  async #denied(partner: string, request: SyncRequest, error: WeftError): Promise<void> {
    const me = this.#book.host.tenantId
    await this.#book.audit({
      action: 'denied',
      partner,
      grantId: request.grantId,
      relationshipId: request.relationshipId,
      code: error.code,
      databases: [...new Set(request.transfers.map((t) => (t.from.tenant === me ? t.from.db : t.to.db)))],
    })
  }

  /** The permit's filters for a request, made once per grant and request (requests are reused). */
  #filters(grant: Grant, request: SyncRequest): DocFilter[] {
    let byRequest = this.#filterCache.get(grant)
    if (!byRequest) this.#filterCache.set(grant, (byRequest = new WeakMap()))
    let filters = byRequest.get(request)
    if (!filters) byRequest.set(request, (filters = request.transfers.map((t) => grantTransferFilter(grant, t))))
    return filters
  }

  /** Entries this tenant sent and received in a round, and its databases involved. */
  #counts(outcome: RoundOutcome): Counts {
    const me = this.#book.host.tenantId
    const counts: Counts = { sent: 0, received: 0, databases: [] }
    const dbs = new Set<string>()
    for (const t of outcome.transfers) {
      if (t.sent === 0) continue
      if (t.transfer.from.tenant === me) {
        counts.sent += t.sent
        dbs.add(t.transfer.from.db)
      } else if (t.transfer.to.tenant === me) {
        counts.received += t.sent
        dbs.add(t.transfer.to.db)
      }
    }
    counts.databases = [...dbs]
    return counts
  }

  #other(request: SyncRequest): string {
    return request.local.tenant === this.#book.host.tenantId ? request.partner.tenant : request.local.tenant
  }
}

function statusFromDenial(code: string): ReceivedGrantStatus | undefined {
  if (code === ErrorCodes.GRANT_REVOKED) return 'revoked'
  if (code === ErrorCodes.GRANT_EXPIRED) return 'expired'
  if (code === ErrorCodes.GRANT_NOT_APPROVED) return 'pending'
  return undefined
}
