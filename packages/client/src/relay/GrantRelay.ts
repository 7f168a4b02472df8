import { ErrorCodes, WeftError, type Tenant } from '@weft/core'
import { RelayPeer } from './RelayPeer.ts'
import { RelaySpace } from './RelaySpace.ts'

/** Options of a {@link GrantRelay}. */
export interface GrantRelayOptions {
  /** Base URL of the Weft server both tenants use. */
  readonly url: string
  /** The local tenant: the issuer or the partner of the grants relayed. */
  readonly tenant: Tenant
  readonly fetch?: typeof fetch
}

/**
 * Grants between tenants in different processes, through a Weft server. Each grant gets its own
 * space on the server, opened by the issuer to the partner only; each side runs its own
 * `MultiTenantSyncOrchestrator` with the other side as a {@link RelayPeer}:
 *
 * ```ts
 * // the issuer's process
 * const relay = new GrantRelay({ url, tenant: supplier })
 * orchestrator.addRelationship('to-customer', supplier, await relay.peer(offer.grant.id), ['orders'], { grantId: offer.grant.id, direction: 'both' })
 * // the partner's process, after `customer.sharing.accept(offer)`
 * const relay = new GrantRelay({ url, tenant: customer })
 * orchestrator.addRelationship('from-supplier', customer, await relay.peer(grantId), [{ local: 'orders', remote: 'orders' }], { grantId, direction: 'both' })
 * ```
 *
 * The server sees only what it sees of any tenant: encrypted, signed entries, sizes and timing.
 * Each side's own authority checks the grant before its entries leave: the issuer its expiry,
 * revocation, conditions and filter; the partner that it may write back. Revocation or expiry
 * shuts the partner out of the space at the issuer's next round, or at once with {@link shutOut}.
 */
export class GrantRelay {
  readonly #options: GrantRelayOptions
  readonly #spaces = new Map<string, RelaySpace>()
  readonly #peers = new Set<RelayPeer>()

  constructor(options: GrantRelayOptions) {
    this.#options = options
  }

  /**
   * The other tenant of grant `grantId` (issued or accepted by the local tenant), as a peer for
   * the orchestrator. `WEFT_GRANT_NOT_FOUND` when the local tenant has no such grant.
   */
  async peer(grantId: string): Promise<RelayPeer> {
    const space = await this.#space(grantId)
    const grant = (await this.#options.tenant.sharing.get(grantId))!
    const peer = new RelayPeer(space, grant.role === 'issued' ? grant.partner : grant.source, grant.databases)
    this.#peers.add(peer)
    return peer
  }

  /** Issuer: removes the partner from the grant's space now (call after revoking, to not wait for a round). */
  async shutOut(grantId: string): Promise<void> {
    await (await this.#space(grantId)).shutOut()
  }

  /** Closes every store the relay's peers opened. */
  async close(): Promise<void> {
    await Promise.all([...this.#peers].map((p) => p.close()))
    this.#peers.clear()
  }

  async #space(grantId: string): Promise<RelaySpace> {
    let space = this.#spaces.get(grantId)
    if (space) return space
    const grant = await this.#options.tenant.sharing.get(grantId)
    if (!grant)
      throw new WeftError(ErrorCodes.GRANT_NOT_FOUND, `tenant ${this.#options.tenant.id} has no grant ${grantId}`)
    space = new RelaySpace({
      url: this.#options.url,
      tenant: this.#options.tenant,
      grant,
      ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
    })
    this.#spaces.set(grantId, space)
    return space
  }
}
