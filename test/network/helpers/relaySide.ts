import { MultiTenantSyncOrchestrator, TenantFactory, TEST_KDF, type GrantOffer, type Tenant } from '@weft/core'
import { GrantRelay } from '@weft/client'

/** One tenant of a relayed grant: its own storage, orchestrator and GrantRelay to the server. */
export interface RelaySide {
  readonly tenant: Tenant
  readonly relay: GrantRelay
  readonly orchestrator: MultiTenantSyncOrchestrator
  close(): Promise<void>
}

let n = 0

/** A fresh tenant (`<name>-<pid>-<n>`) with a GrantRelay to `url`, on its own clock when one is given. */
export async function relaySide(url: string, name: string, clock?: () => number): Promise<RelaySide> {
  const factory = new TenantFactory({ kdf: TEST_KDF, ...(clock ? { clock } : {}) })
  const tenant = await factory.createTenant({ tenantId: `${name}-${process.pid}-${++n}`, password: 'pw' })
  const relay = new GrantRelay({ url, tenant })
  const orchestrator = new MultiTenantSyncOrchestrator({ backoff: { initialMs: 1, maxMs: 2 } })
  return {
    tenant,
    relay,
    orchestrator,
    async close() {
      await orchestrator.stop()
      await relay.close()
      await tenant.close()
      await factory.close()
    },
  }
}

/**
 * Runs a grant through the relay: the issuer's relationship `out` and the partner's `in`, over
 * `dbs`, one way (issuer pushes, partner pulls) or both ways.
 */
export async function connectGrant(
  issuer: RelaySide,
  partner: RelaySide,
  grantId: string,
  dbs: string[],
  ways: 'one-way' | 'both',
): Promise<void> {
  const [out, inbound] = ways === 'both' ? (['both', 'both'] as const) : (['push', 'pull'] as const)
  await issuer.orchestrator.addRelationship('out', issuer.tenant, await issuer.relay.peer(grantId), dbs, {
    grantId,
    direction: out,
  })
  await partner.orchestrator.addRelationship('in', partner.tenant, await partner.relay.peer(grantId), dbs, {
    grantId,
    direction: inbound,
  })
}

/**
 * The issuer shares `databases` with the partner (the offer travels as JSON), the partner accepts,
 * and both run it through the relay ({@link connectGrant}). Returns the grant id.
 */
export async function relayGrant(
  issuer: RelaySide,
  partner: RelaySide,
  share: Omit<Parameters<Tenant['sharing']['share']>[0], 'partner'>,
  ways: 'one-way' | 'both',
): Promise<string> {
  const offer = await issuer.tenant.sharing.share({ ...share, partner: partner.tenant.publicProfile() })
  await partner.tenant.sharing.accept(JSON.parse(JSON.stringify(offer)) as GrantOffer)
  await connectGrant(issuer, partner, offer.grant.id, [...share.databases], ways)
  return offer.grant.id
}
