import { beforeAll, describe, expect, it } from 'vitest'
import {
  createGrant,
  ErrorCodes,
  generateSigningKeyPair,
  incrementalSync,
  isWeftError,
  parseGrant,
  ready,
  verifyGrant,
  verifyProfile,
  type ErrorCode,
  type Grant,
  type GrantOffer,
} from '../src/index.ts'
import { sharingSetup } from './helpers/sharing.ts'

beforeAll(ready)
const code = (c: ErrorCode) => (e: unknown) => isWeftError(e, c)

describe('createGrant → parseGrant → verifyGrant', () => {
  async function signed(): Promise<{ grant: Grant; other: Grant }> {
    const { source, partner } = await sharingSetup()
    const signer = generateSigningKeyPair()
    const input = {
      source: { tenantId: source.id, signer },
      partner: verifyProfile(partner.publicProfile()),
      databases: ['orders'],
      keyIds: ['orders-key'],
      filter: { where: { region: 'eu', open: true } },
      permissions: ['read', 'write'] as const,
      conditions: { allowedEnvironments: ['production'], maxSyncs: 3, requiresApproval: false },
      issuedAt: 1_000,
      expiresAt: 2_000,
    }
    return {
      grant: createGrant(input),
      other: createGrant({ ...input, source: { tenantId: source.id, signer: generateSigningKeyPair() } }),
    }
  }

  it('verifies a grant, also after a JSON round trip', async () => {
    const { grant } = await signed()
    expect(verifyGrant(JSON.parse(JSON.stringify(grant)))).toEqual(grant)
    expect(grant.id).toMatch(/^[0-9a-f]{32}$/)
  })

  it('rejects a grant with any signed field changed, or signed by another key', async () => {
    const { grant, other } = await signed()
    const changes: Partial<Grant>[] = [
      { databases: ['orders', 'invoices'] },
      { keyIds: ['other-key'] },
      { permissions: ['read'] },
      { filter: { where: { region: 'us', open: true } } },
      { filter: null },
      { expiresAt: 3_000 },
      { expiresAt: null },
      { issuedAt: 999 },
      { conditions: { ...grant.conditions, maxSyncs: 4 } },
      { conditions: { ...grant.conditions, allowedEnvironments: null } },
      { conditions: { ...grant.conditions, requiresApproval: true } },
      { partner: { ...grant.partner, tenantId: 'someone-else' } },
      { source: { ...grant.source, signingKey: other.source.signingKey } },
      { signature: other.signature },
    ]
    for (const change of changes)
      expect(() => verifyGrant({ ...grant, ...change }), JSON.stringify(change)).toThrow(
        expect.objectContaining({ code: ErrorCodes.BAD_GRANT }),
      )
  })

  it('rejects malformed grants before checking signatures, and bad input when creating', async () => {
    const { grant } = await signed()
    for (const bad of [
      null,
      'grant',
      { ...grant, v: 2 },
      { ...grant, id: 'short' },
      { ...grant, databases: [] },
      { ...grant, databases: ['a', 'a'] },
      { ...grant, databases: Array.from({ length: 65 }, (_, i) => `db${i}`) },
      { ...grant, keyIds: ['default'] },
      { ...grant, permissions: ['write'] },
      { ...grant, permissions: ['read', 'admin'] },
      { ...grant, filter: { where: { a: { nested: 1 } } } },
      { ...grant, expiresAt: grant.issuedAt },
      { ...grant, conditions: { ...grant.conditions, maxSyncs: 0 } },
      { ...grant, signature: 'x' },
    ]) {
      expect(() => parseGrant(bad), JSON.stringify(bad)?.slice(0, 80)).toThrow(
        expect.objectContaining({ code: ErrorCodes.BAD_GRANT }),
      )
    }
    const { source, partner } = await sharingSetup()
    expect(() =>
      createGrant({
        source: { tenantId: source.id, signer: generateSigningKeyPair() },
        partner: verifyProfile(partner.publicProfile()),
        databases: ['x'],
        keyIds: ['default'],
        filter: null,
        permissions: ['read'],
        conditions: { allowedEnvironments: null, maxSyncs: null, requiresApproval: false },
        issuedAt: 1,
        expiresAt: null,
      }),
    ).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }))
  })
})

describe('share and accept', () => {
  it('hands over a JSON offer: the partner trusts the source, imports the keys and reads what syncs', async () => {
    const { source, partner, sourceDb, partnerDb } = await sharingSetup()
    const doc = await sourceDb.createDocument({ data: { title: 'price list' } })
    const offer: GrantOffer = JSON.parse(
      JSON.stringify(await source.sharing.share({ partner: partner.publicProfile(), databases: ['shared'] })),
    )
    expect(offer.grant.keyIds).toEqual(['shared-key'])
    expect(offer.keys).toHaveLength(1)
    const info = await partner.sharing.accept(offer)
    expect(info).toMatchObject({
      role: 'received',
      status: 'active',
      source: source.id,
      partner: partner.id,
      permissions: ['read'],
    })
    expect(partner.keyBag.get('shared-key', 1)).toEqual(source.keyBag.get('shared-key', 1))
    expect(partner.partners().map((p) => [p.profile.tenantId, p.links])).toEqual([
      [source.id, [{ local: 'shared', remote: 'shared' }]],
    ])
    await incrementalSync(sourceDb, partnerDb)
    expect((await partnerDb.getDocument(doc.getId()))?.toJSON()).toEqual({ title: 'price list' })
    // Accepting again changes nothing; the source lists it as issued, the partner as received.
    expect((await partner.sharing.accept(offer)).acceptedAt).toBe(info.acceptedAt)
    expect((await source.sharing.list()).map((g) => [g.role, g.status])).toEqual([['issued', 'active']])
    expect((await partner.sharing.list({ role: 'received' })).map((g) => g.id)).toEqual([offer.grant.id])
  })

  it('refuses offers that are forged, misaddressed or expired, and changes nothing', async () => {
    const { source, partner, sourceDb, factory, clock } = await sharingSetup()
    await sourceDb.createDocument({ data: { n: 1 } })
    const third = await factory.createTenant({ tenantId: 'third-org', password: 'pw' })
    const offer = await source.sharing.share({
      partner: partner.publicProfile(),
      databases: ['shared'],
      expiresAt: clock() + 1_000,
    })
    await expect(third.sharing.accept(offer)).rejects.toSatisfy(code(ErrorCodes.BAD_GRANT))
    await expect(partner.sharing.accept({ ...offer, sourceProfile: third.publicProfile() })).rejects.toSatisfy(
      code(ErrorCodes.BAD_GRANT),
    )
    await expect(
      partner.sharing.accept({ ...offer, grant: { ...offer.grant, databases: ['other'] } }),
    ).rejects.toSatisfy(code(ErrorCodes.BAD_GRANT))
    await expect(partner.sharing.accept({ ...offer, keys: [offer.keys[0]!.slice(2)] })).rejects.toSatisfy(
      code(ErrorCodes.BAD_GRANT),
    )
    await expect(partner.sharing.accept({ v: 1 })).rejects.toSatisfy(code(ErrorCodes.BAD_GRANT))
    clock.advance(1_000)
    await expect(partner.sharing.accept(offer)).rejects.toSatisfy(code(ErrorCodes.GRANT_EXPIRED))
    expect(partner.partners()).toEqual([])
    expect(partner.keyBag.has('shared-key')).toBe(false)
    expect(await partner.sharing.list()).toEqual([])
  })

  it('never shares the tenant-wide default key, and needs keys for empty databases', async () => {
    const { source, partner } = await sharingSetup()
    const plain = await source.openDB('plain')
    await plain.createDocument({ data: { n: 1 } })
    await expect(source.sharing.share({ partner: partner.publicProfile(), databases: ['plain'] })).rejects.toSatisfy(
      code(ErrorCodes.INVALID_ARGUMENT),
    )
    await expect(
      source.sharing.share({ partner: partner.publicProfile(), databases: ['plain'], keys: ['default'] }),
    ).rejects.toSatisfy(code(ErrorCodes.INVALID_ARGUMENT))
    await expect(source.sharing.share({ partner: partner.publicProfile(), databases: ['shared'] })).rejects.toSatisfy(
      code(ErrorCodes.INVALID_ARGUMENT),
    )
    await expect(
      source.sharing.share({ partner: partner.publicProfile(), databases: ['shared'], keys: ['nope'] }),
    ).rejects.toSatisfy(code(ErrorCodes.KEY_NOT_FOUND))
    await expect(
      source.sharing.share({ partner: source.publicProfile(), databases: ['shared'], keys: ['shared-key'] }),
    ).rejects.toSatisfy(code(ErrorCodes.INVALID_ARGUMENT))
    const offer = await source.sharing.share({
      partner: partner.publicProfile(),
      databases: ['shared'],
      keys: ['shared-key'],
    })
    expect(offer.grant.keyIds).toEqual(['shared-key'])
  })

  it('lists own and shared documents, shared ones with origin, grant, sharer, permissions and expiry', async () => {
    const { source, partner, sourceDb, partnerDb, clock } = await sharingSetup()
    const shared = await sourceDb.createDocument({ data: { region: 'eu', title: 'eu prices' } })
    const hidden = await sourceDb.createDocument({ data: { region: 'us', title: 'us prices' } })
    const expiresAt = clock() + 86_400_000
    const offer = await source.sharing.share({
      partner: partner.publicProfile(),
      databases: ['shared'],
      filter: { where: { region: 'eu' } },
      permissions: ['read', 'write'],
      expiresAt,
    })
    await partner.sharing.accept(offer)
    await incrementalSync(sourceDb, partnerDb) // a plain sync: the listing joins on origin, whatever carried the entries
    const mine = await partnerDb.createDocument({ data: { title: 'own note' } })
    const listing = await partner.sharing.listDocuments('shared')
    expect(listing.own.map((d) => d.id)).toEqual([mine.getId()])
    const byId = new Map(listing.shared.map((d) => [d.id, d]))
    expect(byId.get(shared.getId())).toMatchObject({
      own: false,
      origin: { tenant: source.id, db: 'shared' },
      via: {
        grantId: offer.grant.id,
        sharedBy: source.id,
        sharedByKey: source.publicProfile().signingKey,
        sharedAt: offer.grant.issuedAt,
        permissions: ['read', 'write'],
        expiresAt,
        status: 'active',
      },
    })
    // A document outside the grant's filter that reached the store anyway is listed, but not as covered by the grant.
    expect(byId.get(hidden.getId())?.via).toBeNull()
    expect((await source.sharing.listDocuments('shared')).shared).toEqual([])
  })
})
