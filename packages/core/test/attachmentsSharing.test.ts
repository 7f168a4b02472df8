import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  ErrorCodes,
  MultiTenantSyncOrchestrator,
  ready,
  syncFiltered,
  whereField,
  type Database,
} from '../src/index.ts'
import { decryptEntry, parseEntry } from '../src/backend.ts'
import { sharingSetup } from './helpers/sharing.ts'

beforeAll(ready)

const SMALL = { min: 256, avg: 1024, max: 4096 }
const bytes = (n: number, fill: number) => new Uint8Array(n).map((_, i) => ((i * 31 + fill) & 0xff) ^ (i >> 7))

let orchestrators: MultiTenantSyncOrchestrator[] = []
afterEach(async () => {
  await Promise.all(orchestrators.map((o) => o.stop()))
  orchestrators = []
})

async function chunksOf(db: Database, docId: string): Promise<string[]> {
  const page = await db.getStore().scan(null, { limit: 100_000 })
  return page.entries.filter((e) => e.kind === 'chunk' && e.docId === docId).map((e) => e.hash)
}

describe('attachments and sharing', () => {
  it('filtered sync carries a matching document with its chunks, and nothing of the others', async () => {
    const { sourceDb, partnerDb, source, partner } = await sharingSetup()
    await partner.addPartner(source.publicProfile(), { dbs: ['shared'] })
    await partner.acceptSharedKey(source.shareKey('shared-key', partner.publicProfile()))
    const open = await sourceDb.createDocument({ data: { status: 'open' } })
    const closed = await sourceDb.createDocument({ data: { status: 'closed' } })
    await sourceDb.changeDoc(open, (d) => d.addAttachment('plan.pdf', bytes(20_000, 1), { chunkSizes: SMALL }))
    await sourceDb.changeDoc(closed, (d) => d.addAttachment('old.pdf', bytes(20_000, 2), { chunkSizes: SMALL }))
    await syncFiltered(sourceDb, partnerDb, whereField('status', 'open'))
    expect((await chunksOf(partnerDb, open.getId())).sort()).toEqual((await chunksOf(sourceDb, open.getId())).sort())
    expect(await chunksOf(partnerDb, closed.getId())).toEqual([])
    expect(await (await partnerDb.getDocument(open.getId()))!.getAttachment('plan.pdf')).toEqual(bytes(20_000, 1))
  })

  it('a grant carries chunks; a revoked partner cannot read chunks added after revocation', async () => {
    const { source, partner, sourceDb, partnerDb, clock } = await sharingSetup()
    const doc = await sourceDb.createDocument({ data: { title: 'contract' } })
    await sourceDb.changeDoc(doc, (d) => d.addAttachment('v1.pdf', bytes(10_000, 3), { chunkSizes: SMALL }))
    const offer = await source.sharing.share({ partner: partner.publicProfile(), databases: ['shared'] })
    await partner.sharing.accept(offer)
    const o = new MultiTenantSyncOrchestrator({ clock, random: () => 0 })
    orchestrators.push(o)
    await o.addRelationship('s-p', source, partner, ['shared'], { direction: 'push', grantId: offer.grant.id })
    await o.syncAll()
    const shared = (await partnerDb.getDocument(doc.getId()))!
    expect(await shared.getAttachment('v1.pdf')).toEqual(bytes(10_000, 3))

    await source.sharing.revoke(offer.grant.id)
    await sourceDb.changeDoc(doc, (d) => d.addAttachment('v2.pdf', bytes(10_000, 4), { chunkSizes: SMALL }))
    const result = await o.syncAll()
    expect(result.failed.map((f) => f.error.code)).toEqual([ErrorCodes.GRANT_REVOKED])
    const before = new Set(await chunksOf(partnerDb, doc.getId()))
    // Even handed every entry (a relay that leaks), the partner cannot open the new chunks...
    await partnerDb.pullChangesFrom(sourceDb)
    const added = (await chunksOf(partnerDb, doc.getId())).filter((h) => !before.has(h))
    expect(added.length).toBeGreaterThan(0)
    for (const env of await partnerDb.getStore().getChanges(added as never)) {
      const entry = parseEntry(env.hash, env.bytes)
      expect(entry.header.keyVersion).toBe(2)
      expect(() => decryptEntry(entry, partner.keyBag)).toThrow(
        expect.objectContaining({ code: ErrorCodes.KEY_NOT_FOUND }),
      )
    }
    // ...nor the change that records them; what it had before stays readable.
    expect(shared.getAttachmentInfo('v2.pdf')).toBeUndefined()
    expect(await shared.getAttachment('v1.pdf')).toEqual(bytes(10_000, 3))
    expect(await (await sourceDb.getDocument(doc.getId()))!.getAttachment('v2.pdf')).toEqual(bytes(10_000, 4))
  })
})
