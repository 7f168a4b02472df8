import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  ErrorCodes,
  MultiTenantSyncOrchestrator,
  ready,
  TenantFactory,
  TEST_KDF,
  type ErrorCode,
  type Tenant,
} from '../src/index.ts'
import { hashesOf, manualClock, sharingSetup } from './helpers/sharing.ts'

beforeAll(ready)

const HOUR = 3_600_000
let orchestrators: MultiTenantSyncOrchestrator[] = []
afterEach(async () => {
  await Promise.all(orchestrators.map((o) => o.stop()))
  orchestrators = []
})

function orchestratorFor(
  clock: () => number,
  options: ConstructorParameters<typeof MultiTenantSyncOrchestrator>[0] = {},
) {
  const o = new MultiTenantSyncOrchestrator({ clock, random: () => 0, ...options })
  orchestrators.push(o)
  return o
}

async function lastErrorCode(o: MultiTenantSyncOrchestrator, id: string): Promise<ErrorCode | undefined> {
  return o.getRelationshipStatus(id)?.lastError?.code
}

describe('syncs under a grant', () => {
  it('stop when the grant expires mid-run: no data moves, keys rotate, the status and the audit trail say why', async () => {
    const { source, partner, sourceDb, partnerDb, clock } = await sharingSetup()
    const early = await sourceDb.createDocument({ data: { n: 1 } })
    const offer = await source.sharing.share({
      partner: partner.publicProfile(),
      databases: ['shared'],
      expiresAt: clock() + HOUR,
    })
    await partner.sharing.accept(offer)
    const o = orchestratorFor(clock)
    await o.addRelationship('s-p', source, partner, ['shared'], { direction: 'push', grantId: offer.grant.id })
    expect((await o.syncAll()).sent).toBe(1)
    clock.advance(HOUR - 1)
    const late = await sourceDb.createDocument({ data: { n: 2 } }) // written while still valid: delivered
    expect((await o.syncAll()).sent).toBe(1)
    clock.advance(1)
    const after = await sourceDb.createDocument({ data: { n: 3 } })
    const result = await o.syncAll()
    expect(result.failed.map((f) => f.error.code)).toEqual([ErrorCodes.GRANT_EXPIRED])
    expect(await lastErrorCode(o, 's-p')).toBe(ErrorCodes.GRANT_EXPIRED)
    expect(await partnerDb.getStore().getAllChangeHashesForDoc(after.getId())).toEqual([])
    expect(await partnerDb.getDocument(early.getId())).toBeDefined()
    expect(await partnerDb.getDocument(late.getId())).toBeDefined()
    expect(source.keyBag.current('shared-key').version).toBe(2)
    expect(partner.keyBag.has('shared-key', 2)).toBe(false)
    expect((await source.sharing.get(offer.grant.id))?.status).toBe('expired')
    expect((await partner.sharing.get(offer.grant.id))?.status).toBe('expired')
    const actions = (await source.audit.query({ grantId: offer.grant.id })).map((r) => [r.action, r.code])
    expect(actions).toEqual([
      ['share', null],
      ['sync', null],
      ['sync', null],
      ['expire', null],
      ['denied', ErrorCodes.GRANT_EXPIRED],
    ])
    expect((await partner.audit.query({ action: 'denied' })).map((r) => r.code)).toEqual([ErrorCodes.GRANT_EXPIRED])
    // Entries written from now on are under a key version the partner never gets, whatever carries them.
    const later = await sourceDb.createDocument({ data: { n: 4 } })
    await partnerDb.pullChangesFrom(sourceDb)
    expect(await partnerDb.getDocumentStatus(later.getId())).toBe('locked')
  })

  it('stop when revoked: the revoked partner cannot read later documents, a still-valid partner gets the new key', async () => {
    const { source, partner, sourceDb, partnerDb, factory, clock } = await sharingSetup()
    const other = await factory.createTenant({ tenantId: 'other-org', password: 'pw' })
    other.setClock(clock)
    const otherDb = await other.openDB('shared')
    const before = await sourceDb.createDocument({ data: { title: 'before' } })
    const toPartner = await source.sharing.share({ partner: partner.publicProfile(), databases: ['shared'] })
    const toOther = await source.sharing.share({ partner: other.publicProfile(), databases: ['shared'] })
    await partner.sharing.accept(toPartner)
    await other.sharing.accept(toOther)
    const o = orchestratorFor(clock)
    await o.addRelationship('to-partner', source, partner, ['shared'], {
      direction: 'push',
      grantId: toPartner.grant.id,
    })
    await o.addRelationship('to-other', source, other, ['shared'], { direction: 'push', grantId: toOther.grant.id })
    expect((await o.syncAll()).sent).toBe(2)

    const revoked = await source.sharing.revoke(toPartner.grant.id)
    expect(revoked).toMatchObject({ status: 'revoked', endedAt: clock() })
    expect(source.keyBag.current('shared-key').version).toBe(2)
    const secret = await sourceDb.createDocument({ data: { title: 'after revocation' } })
    const result = await o.syncAll()
    expect(result.failed.map((f) => [f.id, f.error.code])).toEqual([['to-partner', ErrorCodes.GRANT_REVOKED]])
    expect(result.synced).toEqual(['to-other'])
    // The valid partner received version 2 with the round, and reads the new document.
    expect(other.keyBag.get('shared-key', 2)).toEqual(source.keyBag.get('shared-key', 2))
    expect((await otherDb.getDocument(secret.getId()))?.toJSON()).toEqual({ title: 'after revocation' })
    // The revoked partner keeps what it had, gets nothing new, and could not read it if it got it.
    expect((await partnerDb.getDocument(before.getId()))?.toJSON()).toEqual({ title: 'before' })
    expect(await partnerDb.getStore().getAllChangeHashesForDoc(secret.getId())).toEqual([])
    await partnerDb.pullChangesFrom(sourceDb)
    expect(await partnerDb.getDocumentStatus(secret.getId())).toBe('locked')
    expect(partner.keyBag.has('shared-key', 2)).toBe(false)
    expect((await source.audit.query({ action: 'revoke' }))[0]).toMatchObject({
      partner: partner.id,
      detail: 'rotated shared-key to v2',
    })
    // Revoking again changes nothing and rotates nothing.
    await source.sharing.revoke(toPartner.grant.id)
    expect(source.keyBag.current('shared-key').version).toBe(2)
    await expect(partner.sharing.revoke(toPartner.grant.id)).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
    })
    await expect(source.sharing.revoke('0'.repeat(32))).rejects.toMatchObject({ code: ErrorCodes.GRANT_NOT_FOUND })
  })

  it('wait for approval when the grant requires it; the keys follow with the first approved sync', async () => {
    const { source, partner, sourceDb, partnerDb, clock } = await sharingSetup()
    const doc = await sourceDb.createDocument({ data: { n: 1 } })
    const offer = await source.sharing.share({
      partner: partner.publicProfile(),
      databases: ['shared'],
      requiresApproval: true,
    })
    expect(offer.keys).toEqual([])
    expect((await partner.sharing.accept(offer)).status).toBe('pending')
    expect(partner.keyBag.has('shared-key')).toBe(false)
    // Run from the partner's side this time: it pulls, the source checks.
    const o = orchestratorFor(clock)
    await o.addRelationship('p-s', partner, source, ['shared'], { direction: 'pull', grantId: offer.grant.id })
    for (let i = 0; i < 2; i++)
      expect((await o.syncAll()).failed.map((f) => f.error.code)).toEqual([ErrorCodes.GRANT_NOT_APPROVED])
    expect(await hashesOf(partnerDb)).toEqual([])
    expect((await source.sharing.approve(offer.grant.id)).status).toBe('active')
    expect((await o.syncAll()).received).toBe(1)
    expect((await partnerDb.getDocument(doc.getId()))?.toJSON()).toEqual({ n: 1 })
    expect((await partner.sharing.get(offer.grant.id))?.status).toBe('active')
    expect((await source.audit.query({ grantId: offer.grant.id })).map((r) => r.action)).toEqual([
      'share',
      'denied',
      'denied',
      'approve',
      'sync',
    ])
  })

  it('stop after maxSyncs syncs that moved data; idle rounds do not count', async () => {
    const { source, partner, sourceDb, partnerDb, clock } = await sharingSetup()
    await sourceDb.createDocument({ data: { n: 0 } })
    const offer = await source.sharing.share({ partner: partner.publicProfile(), databases: ['shared'], maxSyncs: 2 })
    await partner.sharing.accept(offer)
    const o = orchestratorFor(clock)
    await o.addRelationship('s-p', source, partner, ['shared'], { direction: 'push', grantId: offer.grant.id })
    expect((await o.syncAll()).sent).toBe(1)
    expect((await o.syncAll()).sent).toBe(0) // idle
    await sourceDb.createDocument({ data: { n: 1 } })
    expect((await o.syncAll()).sent).toBe(1)
    expect((await source.sharing.get(offer.grant.id))?.syncs).toBe(2)
    await sourceDb.createDocument({ data: { n: 2 } })
    expect((await o.syncAll()).failed.map((f) => f.error.code)).toEqual([ErrorCodes.GRANT_EXHAUSTED])
    expect(await hashesOf(partnerDb)).toHaveLength(2)
  })

  it("only in allowed environments: the partner's scope, or the environment the grantee runs in", async () => {
    const clock = manualClock()
    const factory = new TenantFactory({ kdf: TEST_KDF })
    const make = async (id: Parameters<typeof factory.createTenant>[0]['tenantId']): Promise<Tenant> => {
      const t = await factory.createTenant({ tenantId: id, password: 'pw' })
      t.setClock(clock)
      return t
    }
    const source = await make('acme')
    const staging = await make({ org: 'globex', environment: 'staging' })
    const production = await make({ org: 'globex', environment: 'production' })
    const plain = await make('initech')
    await source.keyBag.generateKey('k')
    await (await source.openDB('shared', { keyId: 'k' })).createDocument({ data: { n: 1 } })
    const o = orchestratorFor(clock)
    for (const partner of [staging, production]) {
      const offer = await source.sharing.share({
        partner: partner.publicProfile(),
        databases: ['shared'],
        allowedEnvironments: ['production'],
      })
      await partner.sharing.accept(offer)
      await o.addRelationship(partner.id, source, partner, ['shared'], { direction: 'push', grantId: offer.grant.id })
    }
    const offer = await source.sharing.share({
      partner: plain.publicProfile(),
      databases: ['shared'],
      allowedEnvironments: ['production'],
    })
    await plain.sharing.accept(offer)
    await o.addRelationship('initech-dev', plain, source, ['shared'], {
      direction: 'pull',
      grantId: offer.grant.id,
      environment: 'development',
    })
    const result = await o.syncAll()
    expect(staging.id).toBe('globex:::staging:')
    expect(result.failed.map((f) => [f.id, f.error.code])).toEqual([
      [staging.id, ErrorCodes.GRANT_ENVIRONMENT_DENIED],
      ['initech-dev', ErrorCodes.GRANT_ENVIRONMENT_DENIED],
    ])
    expect(result.synced).toEqual([production.id])
    const inProduction = orchestratorFor(clock, { environment: 'production' })
    await inProduction.addRelationship('initech-prod', plain, source, ['shared'], {
      direction: 'pull',
      grantId: offer.grant.id,
    })
    expect((await inProduction.syncAll()).received).toBe(1)
  })

  it("accept the partner's changes back only with write permission", async () => {
    const { source, partner, sourceDb, partnerDb, clock } = await sharingSetup()
    const doc = await sourceDb.createDocument({ data: { status: 'pending' } })
    const readOnly = await source.sharing.share({ partner: partner.publicProfile(), databases: ['shared'] })
    await partner.sharing.accept(readOnly)
    const o = orchestratorFor(clock)
    await o.addRelationship('both-ro', source, partner, ['shared'], { direction: 'both', grantId: readOnly.grant.id })
    expect((await o.syncAll()).failed.map((f) => f.error.code)).toEqual([ErrorCodes.PERMISSION_DENIED])
    expect(await hashesOf(partnerDb)).toEqual([]) // a denied round moves nothing, in either direction
    await o.removeRelationship('both-ro')

    const readWrite = await source.sharing.share({
      partner: partner.publicProfile(),
      databases: ['shared'],
      permissions: ['read', 'write'],
    })
    await partner.sharing.accept(readWrite)
    await o.addRelationship('both-rw', source, partner, ['shared'], { direction: 'both', grantId: readWrite.grant.id })
    expect((await o.syncAll()).sent).toBe(1)
    await partnerDb.changeDoc(doc.getId(), (d) => void (d.getData().status = 'confirmed'))
    const own = await partnerDb.createDocument({ data: { note: 'partner private' } })
    expect((await o.syncAll()).received).toBe(1)
    expect((await sourceDb.getDocument(doc.getId()))?.toJSON()).toEqual({ status: 'confirmed' })
    // Only documents of the granted source database go back: the partner's own ones stay home.
    expect(await sourceDb.getStore().getAllChangeHashesForDoc(own.getId())).toEqual([])
  })

  it("deny rounds under a grant one side does not know, and deliver only what the grant's filter matches", async () => {
    const { source, partner, sourceDb, partnerDb, clock } = await sharingSetup()
    const eu = await sourceDb.createDocument({ data: { region: 'eu' } })
    const us = await sourceDb.createDocument({ data: { region: 'us' } })
    const offer = await source.sharing.share({
      partner: partner.publicProfile(),
      databases: ['shared'],
      filter: { where: { region: 'eu' } },
    })
    const o = orchestratorFor(clock)
    await o.addRelationship('unknown', source, partner, ['shared'], { direction: 'push', grantId: 'f'.repeat(32) })
    await o.addRelationship('not-accepted', source, partner, ['shared'], { direction: 'push', grantId: offer.grant.id })
    const result = await o.syncAll()
    expect(result.failed.map((f) => f.error.code)).toEqual([ErrorCodes.GRANT_NOT_FOUND, ErrorCodes.GRANT_NOT_FOUND])
    expect(await hashesOf(partnerDb)).toEqual([])
    await partner.sharing.accept(offer)
    await o.removeRelationship('unknown')
    expect((await o.syncAll()).sent).toBe(1)
    expect(await partnerDb.getDocument(eu.getId())).toBeDefined()
    expect(await partnerDb.getStore().getAllChangeHashesForDoc(us.getId())).toEqual([])
  })
})
