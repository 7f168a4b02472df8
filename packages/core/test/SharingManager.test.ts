import { beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, MultiTenantSyncOrchestrator, ready, type SyncPeer, type Tenant } from '../src/index.ts'
import { packValue, unpackValue, type SyncAuthority } from '../src/backend.ts'
import { sharingSetup } from './helpers/sharing.ts'

beforeAll(ready)

/** The partner, with every round it takes part in held until `release()` is called. */
function heldPartner(tenant: Tenant): { peer: SyncPeer; entered: Promise<void>; release: () => void } {
  let release!: () => void
  let entered!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const inRound = new Promise<void>((r) => (entered = r))
  const authority: SyncAuthority = {
    async guard(request, round) {
      return tenant.syncAuthority.guard(request, async (permit) => {
        entered()
        await gate
        return round(permit)
      })
    },
    receiveKeys: (id, sealed) => tenant.syncAuthority.receiveKeys(id, sealed),
  }
  return {
    peer: { id: tenant.id, openDB: (n) => tenant.openDB(n), syncAuthority: authority },
    entered: inRound,
    release,
  }
}

describe('SharingManager', () => {
  it('keeps grants across restarts, and finishes a key rotation a crash interrupted', async () => {
    const { factory, storeFactory, source, partner, sourceDb } = await sharingSetup()
    await sourceDb.createDocument({ data: { n: 1 } })
    const offer = await source.sharing.share({ partner: partner.publicProfile(), databases: ['shared'], maxSyncs: 5 })
    await partner.sharing.accept(offer)
    const o = new MultiTenantSyncOrchestrator()
    await o.addRelationship('s-p', source, partner, ['shared'], { direction: 'push', grantId: offer.grant.id })
    expect((await o.syncAll()).sent).toBe(1)

    // Reopened, both sides know the grant and where it stands.
    const source2 = await factory.openTenant(source.id, { password: 'pw-source' })
    const partner2 = await factory.openTenant(partner.id, { password: 'pw-partner' })
    expect(await source2.sharing.get(offer.grant.id)).toMatchObject({ role: 'issued', status: 'active', syncs: 1 })
    expect(await partner2.sharing.get(offer.grant.id)).toMatchObject({ role: 'received', status: 'active' })

    // A crash between saving a revocation and rotating the keys: the next load rotates them.
    const kv = await storeFactory.openKeyValueStore('weft-grants')
    const key = `${source.id}/issued/${offer.grant.id}`
    const record = unpackValue<Record<string, unknown>>((await kv.get(key))!, 1 << 22)
    await kv.put(key, packValue({ ...record, status: 'revoked', endedAt: 1, rotationPending: true }))
    const source3 = await factory.openTenant(source.id, { password: 'pw-source' })
    expect(source3.keyBag.current('shared-key').version).toBe(1)
    expect((await source3.sharing.get(offer.grant.id))?.status).toBe('revoked')
    expect(source3.keyBag.current('shared-key').version).toBe(2)
    const again = await factory.openTenant(source.id, { password: 'pw-source' })
    expect(again.keyBag.current('shared-key').version).toBe(2)
    await again.sharing.list()
    expect(again.keyBag.current('shared-key').version).toBe(2) // done once, not on every load
  })

  it('lets the partner keep granted keys under its own names, and still write back', async () => {
    const { source, partner, sourceDb, partnerDb, clock } = await sharingSetup()
    await partner.keyBag.generateKey('shared-key') // the partner's own key of the same name
    const doc = await sourceDb.createDocument({ data: { status: 'draft' } })
    const offer = await source.sharing.share({
      partner: partner.publicProfile(),
      databases: ['shared'],
      permissions: ['read', 'write'],
    })
    await expect(partner.sharing.accept(offer)).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT })
    expect(partner.partners()).toEqual([]) // refused before anything changed
    await partner.sharing.accept(offer, { keyNames: { 'shared-key': 'from-source' } })
    expect(partner.keyBag.get('from-source', 1)).toEqual(source.keyBag.get('shared-key', 1))
    const o = new MultiTenantSyncOrchestrator({ clock })
    await o.addRelationship('p-s', partner, source, ['shared'], { direction: 'both', grantId: offer.grant.id })
    expect((await o.syncAll()).received).toBe(1)
    await partnerDb.changeDoc(doc.getId(), (d) => void (d.getData().status = 'final'))
    expect((await o.syncAll()).sent).toBe(1)
    expect((await sourceDb.getDocument(doc.getId()))?.toJSON()).toEqual({ status: 'final' })
    // After a rotation the new version arrives under the partner's name too.
    await source.keyBag.rotateKey('shared-key')
    await sourceDb.changeDoc(doc.getId(), (d) => void (d.getData().status = 'archived'))
    await o.syncAll()
    expect(partner.keyBag.get('from-source', 2)).toEqual(source.keyBag.get('shared-key', 2))
    expect((await partnerDb.getDocument(doc.getId()))?.toJSON()).toEqual({ status: 'archived' })
  })

  it('makes a revocation wait for the round in flight under the grant; the next round is refused', async () => {
    const { source, partner, sourceDb, partnerDb } = await sharingSetup()
    const doc = await sourceDb.createDocument({ data: { n: 1 } })
    const offer = await source.sharing.share({ partner: partner.publicProfile(), databases: ['shared'] })
    await partner.sharing.accept(offer)
    const held = heldPartner(partner)
    const o = new MultiTenantSyncOrchestrator()
    await o.addRelationship('s-p', source, held.peer, ['shared'], { direction: 'push', grantId: offer.grant.id })
    const round = o.syncAll()
    await held.entered
    let revoked = false
    const revocation = source.sharing.revoke(offer.grant.id).then(() => void (revoked = true))
    await new Promise((r) => setTimeout(r, 20))
    expect(revoked).toBe(false)
    held.release()
    expect((await round).sent).toBe(1)
    await revocation
    expect(await partnerDb.getDocument(doc.getId())).toBeDefined()
    await sourceDb.changeDoc(doc.getId(), (d) => void (d.getData().n = 2))
    expect((await o.syncAll()).failed.map((f) => f.error.code)).toEqual([ErrorCodes.GRANT_REVOKED])
  })
})
