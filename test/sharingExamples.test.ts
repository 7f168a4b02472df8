// Runs every example under examples/sharing/ (grants, the orchestrator and the audit trail) and
// checks what each one claims.
import { describe, expect, it } from 'vitest'
import { ErrorCodes, TEST_KDF } from '@weft/core'
import { run as supplierCustomer } from '../examples/sharing/supplier-customer-orchestrated.ts'
import { run as institutions } from '../examples/sharing/research-institutions.ts'
import { run as expiring } from '../examples/sharing/expiring-grant.ts'
import { run as revoked } from '../examples/sharing/revoked-partner.ts'
import { run as approval } from '../examples/sharing/approval-required.ts'
import { run as maxSyncs } from '../examples/sharing/max-syncs.ts'
import { run as environments } from '../examples/sharing/allowed-environments.ts'
import { run as deadPartner } from '../examples/sharing/dead-partner-backoff.ts'
import { run as tamperedAudit } from '../examples/sharing/tampered-audit.ts'
import { run as relayed } from '../examples/sharing/relayed-partners.ts'

const options = { kdf: TEST_KDF }

describe('sharing examples', () => {
  it('a supplier–customer pair run by the orchestrator under a read + write grant', async () => {
    const r = await supplierCustomer(options)
    expect(r.customerView).toEqual({
      item: 'oak dining table',
      quantity: 2,
      status: 'confirmed',
      deliveryDate: '2031-04-01',
    })
    expect(r.supplierView).toEqual(r.customerView)
    expect(r.rounds).toEqual([
      { sent: 1, received: 0 },
      { sent: 0, received: 1 },
      { sent: 0, received: 0 },
    ])
    expect(r.status).toEqual({ sent: 1, received: 1, upToDate: true, lastError: null })
    expect(r.supplierListing).toEqual({
      own: 0,
      shared: [{ id: r.orderId, sharedBy: 'acme-retail', permissions: ['read', 'write'] }],
    })
    expect(r.customerAudit).toEqual(['share', 'sync', 'sync'])
    expect(r.supplierAudit).toEqual(['accept', 'sync', 'sync'])
  })

  it('four research institutions with relationships between all pairs', async () => {
    const r = await institutions(options)
    expect(r.relationships).toBe(12)
    expect(r.failed).toBe(0)
    for (const [id, listing] of Object.entries(r.listings)) {
      expect(listing.own).toEqual([`${id} finding 1`, `${id} finding 2`])
      expect(listing.shared).toHaveLength(6)
      expect(new Set(listing.shared.map((s) => s.sharedBy)).size).toBe(3)
      expect(
        listing.shared.every((s) => s.sharedBy !== id && s.title.startsWith(s.sharedBy) && s.expiresAt !== null),
      ).toBe(true)
    }
  })

  it('a grant that expires mid-run', async () => {
    const r = await expiring(options)
    expect(r.rounds.map((x) => x.error)).toEqual([null, null, null, ErrorCodes.GRANT_EXPIRED, ErrorCodes.GRANT_EXPIRED])
    expect(r.rounds.slice(0, 3).map((x) => x.sent)).toEqual([1, 1, 1])
    expect(r.readable).toBe(3)
    expect(r.writtenAfterExpiry).toBe(2)
    expect(r.afterExpiryInContractorStore).toBe(0)
    expect(r.keyVersion).toEqual({ lab: 2, contractor: 1 })
    expect(r.grantStatus).toEqual({ lab: 'expired', contractor: 'expired' })
    expect(r.labAudit).toEqual([
      'share',
      'sync',
      'sync',
      'sync',
      'expire',
      `denied ${ErrorCodes.GRANT_EXPIRED}`,
      `denied ${ErrorCodes.GRANT_EXPIRED}`,
    ])
  })

  it('a revoked partner that cannot read later documents', async () => {
    const r = await revoked(options)
    expect(r.revokedError).toBe(ErrorCodes.GRANT_REVOKED)
    expect(r.revokedAgency).toEqual({ before: 'ready', after: 'locked', afterEntriesFromSync: 0 })
    expect(r.validAgency).toEqual({ before: 'ready', after: 'ready' })
    expect(r.keyVersions).toEqual({ newsroom: 2, revoked: 1, valid: 2 })
    expect(r.revokeAudit).toBe('rotated stories-key to v2')
  })

  it('requiresApproval pending until approved', async () => {
    const r = await approval(options)
    expect(r.keysInOffer).toBe(0)
    expect(r.beforeApproval).toEqual({
      error: ErrorCodes.GRANT_NOT_APPROVED,
      entriesAtInsurer: 0,
      insurerHasKey: false,
    })
    expect(r.afterApproval).toEqual({ received: 2, readable: 2, insurerHasKey: true })
    expect([r.statusBefore, r.statusAfter]).toEqual(['pending', 'active'])
    expect(r.audit).toEqual(['share', `denied ${ErrorCodes.GRANT_NOT_APPROVED}`, 'approve', 'sync'])
  })

  it('maxSyncs', async () => {
    const r = await maxSyncs(options)
    expect(r.rounds).toEqual([
      { received: 1, error: null },
      { received: 0, error: null },
      { received: 1, error: null },
      { received: 0, error: ErrorCodes.GRANT_EXHAUSTED },
    ])
    expect(r.syncsUsed).toBe(2)
    expect([r.entriesAtAuditor, r.entriesAtCompany]).toEqual([2, 3])
  })

  it('allowedEnvironments', async () => {
    const r = await environments(options)
    expect(r.outcomes).toEqual({
      'to shopfront:::production:': null,
      'to shopfront:::staging:': ErrorCodes.GRANT_ENVIRONMENT_DENIED,
      'metrics (development)': ErrorCodes.GRANT_ENVIRONMENT_DENIED,
      'metrics (production)': null,
    })
    expect(r.entries).toEqual({ 'shopfront:::production:': 1, 'shopfront:::staging:': 0, 'metrics-inc': 1 })
  })

  it('a dead partner failing with backoff while the others stay in sync', async () => {
    const r = await deadPartner(options)
    expect(r.deadTriedAt).toEqual([0, 1, 2, 4, 8, 16])
    expect(r.liveEntries).toEqual([r.distributorEntries, r.distributorEntries])
    expect(r.distributorEntries).toBe(20)
    expect(r.dead).toEqual({ state: 'backoff', consecutiveFailures: 6, lastError: ErrorCodes.PARTNER_UNAVAILABLE })
    expect(r.recoveredAfterRestart).toBe(true)
  })

  it('a tampered audit record detected', async () => {
    const r = await tamperedAudit(options)
    expect(r.intact).toBe(true)
    expect(r.records).toBe(6) // share, three syncs, revoke, denied
    expect(r.detected.map((d) => [d.tampering.split(' ')[0], d.problem, d.code])).toEqual([
      ['edit', 'altered', ErrorCodes.AUDIT_TAMPERED],
      ['delete', 'removed', ErrorCodes.AUDIT_TAMPERED],
      ['swap', 'reordered', ErrorCodes.AUDIT_TAMPERED],
      ['cut', 'removed', ErrorCodes.AUDIT_TAMPERED],
    ])
    expect(r.detected.map((d) => d.seq)).toEqual([1, 2, 3, 4])
  })

  it('a supplier and a customer in two processes, through a relay server', async () => {
    const r = await relayed(options)
    const [orderIn, acceptanceOut, afterRevoke] = r.customerRounds
    expect(orderIn).toMatchObject({ sent: 0, received: 1, failed: [] })
    expect(orderIn!.docs[r.orderId]).toEqual({ item: 'steel shelving', status: 'offered' })
    expect(acceptanceOut).toMatchObject({ sent: 1, received: 0, failed: [] })
    expect(r.supplierView).toEqual({ item: 'steel shelving', status: 'accepted' })
    expect(r.supplierAfterRevoke).toEqual([ErrorCodes.GRANT_REVOKED])
    expect(afterRevoke!.failed).toEqual([ErrorCodes.GRANT_REVOKED])
    expect(Object.keys(afterRevoke!.docs)).toEqual([r.orderId])
    expect(afterRevoke!.docs[r.lateOrderId]).toBeUndefined()
  }, 60_000)
})
