import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, MultiTenantSyncOrchestrator, ready, type Database } from '../src/index.ts'
import { partners } from './helpers/partners.ts'

beforeAll(ready)

const SMALL = { min: 256, avg: 1024, max: 4096 }
const bytes = (n: number, fill: number) => new Uint8Array(n).map((_, i) => ((i * 31 + fill) & 0xff) ^ (i >> 7))

let orchestrators: MultiTenantSyncOrchestrator[] = []
afterEach(async () => {
  await Promise.all(orchestrators.map((o) => o.stop()))
  orchestrators = []
})

async function chunksIn(db: Database): Promise<string[]> {
  const page = await db.getStore().scan(null, { limit: 100_000 })
  return page.entries
    .filter((e) => e.kind === 'chunk')
    .map((e) => e.hash)
    .sort()
}

describe('attachments per relationship', () => {
  it('one partner relationship carries chunk bodies, another from the same tenant leaves them to be fetched when read', async () => {
    const { tenants, dbs } = await partners(['acme', 'globex', 'initech'], 'files', 'files-key')
    const [acme, globex, initech] = tenants as [(typeof tenants)[0], (typeof tenants)[0], (typeof tenants)[0]]
    const [mine, eager, lazy] = dbs as [Database, Database, Database]
    const doc = await mine.createDocument({ data: { title: 'plans' } })
    await mine.changeDoc(doc, (d) => d.addAttachment('plan.pdf', bytes(30_000, 5), { chunkSizes: SMALL }))
    const chunks = await chunksIn(mine)
    expect(chunks.length).toBeGreaterThan(3)

    const o = new MultiTenantSyncOrchestrator()
    orchestrators.push(o)
    await o.addRelationship('to-globex', acme, globex, ['files'], { direction: 'push', attachments: 'eager' })
    await o.addRelationship('to-initech', acme, initech, ['files'], { direction: 'push', attachments: 'lazy' })
    const result = await o.syncAll()
    expect(result.failed).toEqual([])

    // Both partners have the document; only the eager one has the chunk bodies.
    expect(await chunksIn(eager)).toEqual(chunks)
    expect(await chunksIn(lazy)).toEqual([])
    expect(lazy.attachmentSync).toBe('eager') // the relationship's choice, not the database's
    const atInitech = (await lazy.getDocument(doc.getId()))!
    expect(atInitech.getAttachmentInfo('plan.pdf')?.size).toBe(30_000)
    // A read fetches the chunks it needs from the sending side.
    expect(await atInitech.getAttachment('plan.pdf')).toEqual(bytes(30_000, 5))
    expect(await (await eager.getDocument(doc.getId()))!.getAttachment('plan.pdf')).toEqual(bytes(30_000, 5))

    // New chunks keep following each relationship's choice.
    await mine.changeDoc(doc, (d) => d.addAttachment('v2.pdf', bytes(9_000, 6), { chunkSizes: SMALL }))
    await o.syncAll()
    expect(await chunksIn(eager)).toEqual(await chunksIn(mine))
    const fetched = new Set(await chunksIn(lazy))
    expect((await chunksIn(mine)).filter((h) => !fetched.has(h)).length).toBeGreaterThan(0)
    expect(await (await lazy.getDocument(doc.getId()))!.getAttachment('v2.pdf')).toEqual(bytes(9_000, 6))
  })

  it('refuses an attachments option that is neither eager nor lazy', async () => {
    const { tenants } = await partners(['acme', 'globex'], 'files', 'files-key')
    const o = new MultiTenantSyncOrchestrator()
    orchestrators.push(o)
    await expect(
      o.addRelationship('r', tenants[0]!, tenants[1]!, ['files'], { attachments: 'sometimes' as never }),
    ).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT })
  })
})
