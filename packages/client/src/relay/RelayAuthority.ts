import {
  ErrorCodes,
  OPEN_PERMIT,
  WeftError,
  type RoundOutcome,
  type SyncAuthority,
  type SyncPermit,
  type SyncRequest,
} from '@weft/core/backend'
import type { RelaySpace } from './RelaySpace.ts'

/**
 * The remote side's part in a round, run in this process: before the round, the grant's relay
 * space is made ready (the issuer opens it to the partner; the partner signs in and imports keys
 * the issuer left in the mailbox). Keys the local issuer hands over go to the mailbox. When the
 * local issuer refuses a round because the grant was revoked or expired, the partner is shut out
 * of the space. The grant's rules themselves are checked by the local tenant's own authority.
 */
export class RelayAuthority implements SyncAuthority {
  readonly #space: RelaySpace

  constructor(space: RelaySpace) {
    this.#space = space
  }

  async guard(request: SyncRequest, round: (permit: SyncPermit) => Promise<RoundOutcome>): Promise<RoundOutcome> {
    this.#check(request)
    await this.#space.prepare()
    try {
      return await round(OPEN_PERMIT)
    } catch (err) {
      // Signed in and still refused as unknown: the server lost the space; open it again next round.
      if ((err as WeftError).code === ErrorCodes.UNAUTHORIZED) this.#space.reset()
      throw err
    }
  }

  /** The local issuer's keys for the partner: left, still sealed, in the space's mailbox. */
  async receiveKeys(grantId: string, sealed: readonly Uint8Array[]): Promise<void> {
    if (grantId !== this.#space.grantId)
      throw new WeftError(ErrorCodes.GRANT_NOT_FOUND, `this relay carries grant ${this.#space.grantId}, not ${grantId}`)
    await this.#space.postKeys(sealed)
  }

  /** The local issuer's writer roster for the partner: co-writers registered as authors, the roster left in the mailbox. */
  async receiveRoster(grantId: string, roster: unknown): Promise<void> {
    if (grantId !== this.#space.grantId)
      throw new WeftError(ErrorCodes.GRANT_NOT_FOUND, `this relay carries grant ${this.#space.grantId}, not ${grantId}`)
    await this.#space.postRoster(roster as { seq: number; writers?: { keys?: string[] }[] })
  }

  async refused(_request: SyncRequest, error: Error): Promise<void> {
    const code = (error as WeftError).code
    if (code === ErrorCodes.GRANT_REVOKED || code === ErrorCodes.GRANT_EXPIRED) await this.#space.shutOut()
  }

  wouldAllow(request: SyncRequest): boolean {
    return request.grantId === this.#space.grantId && this.#space.ready
  }

  #check(request: SyncRequest): void {
    if (request.grantId !== this.#space.grantId) {
      throw new WeftError(
        ErrorCodes.PERMISSION_DENIED,
        `relationship ${request.relationshipId} must run under grant ${this.#space.grantId} to use its relay`,
      )
    }
  }
}
