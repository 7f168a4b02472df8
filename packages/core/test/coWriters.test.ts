import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  ErrorCodes,
  generateSigningKeyPair,
  MemoryStoreFactory,
  MultiTenantSyncOrchestrator,
  ready,
  TenantFactory,
  TEST_KDF,
  verifyProfile,
  asTenantId,
  asDbName,
  asChangeHash,
  type Database,
  type DocId,
  type Tenant,
} from '../src/index.ts'
import { unpackValue, fromBase64Url } from '../src/backend.ts'
import { TrustPolicy } from '../src/tenant/index.ts'
import { signWriterRoster } from '../src/sharing/signWriterRoster.ts'
import type { SignedWriterRoster } from '../src/sharing/WriterRoster.ts'
import { manualClock } from './helpers/sharing.ts'

beforeAll(ready)

// A source shares one database with several partners. The partners with `write` edit the
// source's documents; every partner must see every accepted edit, whoever made it, because the
// source vouches for its write partners (a signed roster handed over with the keys).

const PASSWORD = 'pw'

interface Consortium {
  readonly storage: MemoryStoreFactory
  readonly source: Tenant
  readonly sourceDb: Database
  readonly partners: Record<string, { tenant: Tenant; db: Database; grantId: string }>
  readonly orchestrator: MultiTenantSyncOrchestrator
  reopen(id: string): Promise<Tenant>
}

async function consortium(partners: Record<string, ('read' | 'write')[]>): Promise<Consortium> {
  const storage = new MemoryStoreFactory()
  const clock = manualClock()
  const factory = new TenantFactory({ storeFactory: storage, kdf: TEST_KDF, clock })
  const source = await factory.createTenant({ tenantId: 'hub', password: PASSWORD })
  await source.keyBag.generateKey('orders-key')
  const sourceDb = await source.openDB('orders', { keyId: 'orders-key' })
  const orchestrator = new MultiTenantSyncOrchestrator({ clock })
  const out: Consortium['partners'] = {}
  for (const [id, permissions] of Object.entries(partners)) {
    const tenant = await factory.createTenant({ tenantId: id, password: PASSWORD })
    const offer = await source.sharing.share({
      partner: tenant.publicProfile(),
      databases: ['orders'],
      keys: ['orders-key'],
      permissions,
    })
    await tenant.sharing.accept(offer)
    await orchestrator.addRelationship(`hub-${id}`, source, tenant, ['orders'], {
      grantId: offer.grant.id,
      direction: permissions.includes('write') ? 'both' : 'push',
    })
    out[id] = { tenant, db: await tenant.openDB('orders'), grantId: offer.grant.id }
  }
  const reopen = (id: string) =>
    new TenantFactory({ storeFactory: storage, kdf: TEST_KDF, clock }).openTenant(id, { password: PASSWORD })
  return { storage, source, sourceDb, partners: out, orchestrator, reopen }
}

/** Rounds until nothing moves (each round may deliver what the previous one brought in). */
async function settle(o: MultiTenantSyncOrchestrator): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const r = await o.syncAll()
    expect(r.failed).toEqual([])
    if (r.sent + r.received === 0) return
  }
}

async function dataOf(db: Database, id: DocId): Promise<unknown> {
  return (await db.getDocument(id))?.toJSON()
}

describe("write partners of one database see each other's changes", () => {
  it('an edit by one write partner reaches the other write partner and a read-only partner, materialised', async () => {
    const c = await consortium({ alpha: ['read', 'write'], beta: ['read', 'write'], reader: ['read'] })
    const doc = await c.sourceDb.createDocument({ data: { title: 'plan' } })
    await settle(c.orchestrator)
    await c.partners.alpha!.db.changeDoc(doc.getId(), (d) => void (d.getData().alpha = 'approved'))
    await c.partners.beta!.db.changeDoc(doc.getId(), (d) => void (d.getData().beta = 'costed'))
    await settle(c.orchestrator)
    const expected = { title: 'plan', alpha: 'approved', beta: 'costed' }
    expect(await dataOf(c.sourceDb, doc.getId())).toEqual(expected)
    for (const p of Object.values(c.partners)) {
      expect(await dataOf(p.db, doc.getId())).toEqual(expected)
      expect((await p.db.retryHeld()).untrusted).toEqual([])
    }
    // It survives a restart of a partner: the roster is kept with the grant.
    const reader = await c.reopen('reader')
    expect(await dataOf(await reader.openDB('orders'), doc.getId())).toEqual(expected)
  })

  it("a vouched writer counts only on the voucher's documents, never on another linked origin", async () => {
    const c = await consortium({ alpha: ['read', 'write'], beta: ['read', 'write'] })
    await settle(c.orchestrator)
    const zeta = await new TenantFactory({ kdf: TEST_KDF }).createTenant({ tenantId: 'zeta', password: PASSWORD })
    const policy = new TrustPolicy(asTenantId('beta'), [])
    policy.setPartner(verifyProfile(zeta.publicProfile()), ['orders'])
    policy.setPartner(verifyProfile(c.source.publicProfile()), ['orders'])
    const alpha = fromBase64Url(alphaKey(c))
    const hash = asChangeHash('ab'.repeat(32))
    const fromHub = { tenant: asTenantId('hub'), db: asDbName('orders') }
    const fromZeta = { tenant: asTenantId('zeta'), db: asDbName('orders') }
    expect(policy.evaluate(asDbName('orders'), fromHub, alpha, hash)).toEqual({
      ok: false,
      code: ErrorCodes.UNTRUSTED_SIGNER,
    })
    policy.setVouches(new Map([[asDbName('orders'), new Map([[alphaKey(c), [{ origin: fromHub, kept: null }]]])]]))
    expect(policy.evaluate(asDbName('orders'), fromHub, alpha, hash)).toEqual({ ok: true })
    expect(policy.evaluate(asDbName('orders'), fromZeta, alpha, hash)).toEqual({
      ok: false,
      code: ErrorCodes.UNTRUSTED_SIGNER,
    })
    expect(policy.evaluate(asDbName('other'), fromHub, alpha, hash)).toEqual({
      ok: false,
      code: ErrorCodes.ORIGIN_NOT_LINKED,
    })
    policy.setVouches(
      new Map([[asDbName('orders'), new Map([[alphaKey(c), [{ origin: fromHub, kept: new Set([hash]) }]]])]]),
    )
    expect(policy.evaluate(asDbName('orders'), fromHub, alpha, hash)).toEqual({ ok: true })
    expect(policy.evaluate(asDbName('orders'), fromHub, alpha, asChangeHash('cd'.repeat(32)))).toEqual({
      ok: false,
      code: ErrorCodes.UNTRUSTED_SIGNER,
    })
  })

  it('once a write partner is revoked, the others keep its earlier edits and hold what it signs later', async () => {
    const c = await consortium({ alpha: ['read', 'write'], beta: ['read', 'write'] })
    const doc = await c.sourceDb.createDocument({ data: { title: 'plan' } })
    await settle(c.orchestrator)
    await c.partners.alpha!.db.changeDoc(doc.getId(), (d) => void (d.getData().alpha = 'early'))
    await settle(c.orchestrator)
    await c.source.sharing.revoke(c.partners.alpha!.grantId)
    await c.orchestrator.disableRelationship('hub-alpha')
    // alpha writes on; the entry reaches the source by another path, and the source relays it.
    await c.partners.alpha!.db.changeDoc(doc.getId(), (d) => void (d.getData().alpha = 'late'))
    await c.sourceDb.pullChangesFrom(c.partners.alpha!.db)
    await settle(c.orchestrator)
    const beta = c.partners.beta!.db
    expect(await dataOf(beta, doc.getId())).toEqual({ title: 'plan', alpha: 'early' })
    const held = (await beta.retryHeld()).untrusted
    expect(held.map((h) => h.code)).toEqual([ErrorCodes.UNTRUSTED_SIGNER])
    const reopened = await c.reopen('beta')
    expect(await dataOf(await reopened.openDB('orders'), doc.getId())).toEqual({ title: 'plan', alpha: 'early' })
  })

  it('refuses a forged roster and ignores a replayed older one', async () => {
    const c = await consortium({ alpha: ['read', 'write'], beta: ['read', 'write'] })
    await c.sourceDb.createDocument({ data: { title: 'plan' } })
    await settle(c.orchestrator)
    const beta = c.partners.beta!
    const authority = beta.tenant.syncAuthority
    const roster = { v: 1 as const, grantId: beta.grantId, source: 'hub', seq: Date.now() * 2, writers: [] }
    // Signed by a key that is not the grant's source: refused.
    const forged = signWriterRoster(roster, generateSigningKeyPair())
    await expect(authority.receiveRoster!(beta.grantId, forged)).rejects.toMatchObject({ code: ErrorCodes.BAD_GRANT })
    await expect(authority.receiveRoster!(beta.grantId, { ...roster, signature: 'x' })).rejects.toMatchObject({
      code: ErrorCodes.BAD_GRANT,
    })
    await expect(authority.receiveRoster!('0'.repeat(32), roster)).rejects.toMatchObject({
      code: ErrorCodes.GRANT_NOT_FOUND,
    })
    // A roster naming a database outside the grant, or the partner itself, is refused too.
    for (const writers of [
      [{ db: 'payroll', tenant: 'alpha', keys: [alphaKey(c)], kept: null }],
      [{ db: 'orders', tenant: 'beta', keys: [alphaKey(c)], kept: null }],
    ]) {
      await expect(
        authority.receiveRoster!(beta.grantId, { ...roster, writers, signature: 'A'.repeat(86) }),
      ).rejects.toMatchObject({ code: ErrorCodes.BAD_GRANT })
    }

    // The roster beta holds vouches for alpha. After alpha's revocation beta gets a newer one;
    // replaying the old one changes nothing.
    const doc = await c.sourceDb.createDocument({ data: { title: 'b' } })
    await settle(c.orchestrator)
    await c.partners.alpha!.db.changeDoc(doc.getId(), (d) => void (d.getData().alpha = 'early'))
    await settle(c.orchestrator)
    const old = await heldRoster(c, 'beta')
    expect(old.writers.map((w) => [w.tenant, w.kept])).toEqual([['alpha', null]])
    await c.source.sharing.revoke(c.partners.alpha!.grantId)
    await c.orchestrator.disableRelationship('hub-alpha')
    await settle(c.orchestrator)
    expect((await heldRoster(c, 'beta')).writers.map((w) => w.kept?.length)).toEqual([1])
    await authority.receiveRoster!(beta.grantId, old)
    expect((await heldRoster(c, 'beta')).seq).toBeGreaterThan(old.seq)
    await c.partners.alpha!.db.changeDoc(doc.getId(), (d) => void (d.getData().alpha = 'late'))
    await c.sourceDb.pullChangesFrom(c.partners.alpha!.db)
    await settle(c.orchestrator)
    expect(await dataOf(beta.db, doc.getId())).toEqual({ title: 'b', alpha: 'early' })
  })

  it('property: whatever order edits, syncs and one revocation come in, every partner converges on exactly what the source accepted', async () => {
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('edit' as const),
        who: fc.constantFrom('alpha' as const, 'beta' as const),
        n: fc.nat(99),
      }),
      fc.constant({ kind: 'sync' as const }),
      fc.constant({ kind: 'revoke' as const }),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const c = await consortium({ alpha: ['read', 'write'], beta: ['read', 'write'], reader: ['read'] })
        const doc = await c.sourceDb.createDocument({ data: { log: [] as string[] } })
        await settle(c.orchestrator)
        let revoked = false
        for (const s of steps) {
          if (s.kind === 'edit') {
            await c.partners[s.who]!.db.changeDoc<{ log: string[] }>(
              doc.getId(),
              (d) => void d.getData().log.push(`${s.who}${s.n}`),
            )
            // A revoked partner's entries still reach the source by a side path.
            if (s.who === 'alpha' && revoked) await c.sourceDb.pullChangesFrom(c.partners.alpha!.db)
          } else if (s.kind === 'sync') await c.orchestrator.syncAll()
          else if (!revoked) {
            revoked = true
            await c.source.sharing.revoke(c.partners.alpha!.grantId)
            await c.orchestrator.disableRelationship('hub-alpha')
          }
        }
        await settle(c.orchestrator)
        const truth = JSON.stringify(await dataOf(c.sourceDb, doc.getId()))
        for (const id of ['beta', 'reader'])
          expect(JSON.stringify(await dataOf(c.partners[id]!.db, doc.getId()))).toBe(truth)
      }),
      { numRuns: 15 },
    )
  })
})

function alphaKey(c: Consortium): string {
  return c.partners.alpha!.tenant.publicProfile().signingKey
}

/** The writer roster a partner holds for its grant, read from its storage. */
async function heldRoster(c: Consortium, id: string): Promise<SignedWriterRoster> {
  const kv = await c.storage.openKeyValueStore('weft-grants')
  const bytes = await kv.get(`${id}/roster/${c.partners[id]!.grantId}`)
  return unpackValue<SignedWriterRoster>(bytes!, 1 << 26)
}
