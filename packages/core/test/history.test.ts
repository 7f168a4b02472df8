import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  ErrorCodes,
  MemoryStoreFactory,
  ready,
  TenantFactory,
  TEST_KDF,
  type ChangeHash,
  type Database,
} from '../src/index.ts'
import { partners } from './helpers/partners.ts'

beforeAll(ready)

const tick = () => new Promise((r) => setTimeout(r, 3))

async function database(snapshotEvery?: number): Promise<{ db: Database; device: string }> {
  const t = await new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF }).createTenant({
    tenantId: `h-${Math.random().toString(36).slice(2)}`,
    password: 'pw',
  })
  return {
    db: await t.openDB('notes', snapshotEvery ? { snapshotEvery } : {}),
    device: t.publicProfile().signingKey,
  }
}

describe('document history and time travel', () => {
  it('lists entries newest first with author, time and kind; limit and before page through it', async () => {
    const { db, device } = await database()
    const doc = await db.createDocument({ data: { n: 0 } })
    await tick()
    await db.changeDoc(doc, (d) => void (d.getData().n = 1))
    await tick()
    await db.deleteDocument(doc)
    const history = await db.getDocumentHistory(doc.getId())
    expect(history.map((e) => e.kind)).toEqual(['delete', 'change', 'create'])
    expect(history.every((e) => e.author === device)).toBe(true)
    expect(history[0]!.createdAt).toBeGreaterThanOrEqual(history[1]!.createdAt)
    expect((await db.getDocumentHistory(doc.getId(), { limit: 1 })).map((e) => e.kind)).toEqual(['delete'])
    const older = await db.getDocumentHistory(doc.getId(), { before: history[0]!.createdAt })
    expect(older.map((e) => e.kind)).toEqual(['change', 'create'])
  })

  it('the state at every earlier set of heads and every earlier time is what it was then, with or without snapshots (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 99 })), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.constantFrom(undefined, 3),
        async (edits, snapshotEvery) => {
          const { db } = await database(snapshotEvery)
          const doc = await db.createDocument({ data: {} })
          const seen: { heads: ChangeHash[]; time: number; data: unknown }[] = []
          const record = async () => {
            const now = (await db.getDocument(doc.getId()))!
            seen.push({ heads: now.getHeads(), time: Date.now(), data: now.toJSON() })
            await tick()
          }
          await record()
          for (const [field, value] of edits) {
            await db.changeDoc(doc, (d) => void (d.getData()[field] = value))
            await record()
          }
          for (const s of seen) {
            expect(await db.getDocumentAt(doc.getId(), { heads: s.heads })).toEqual(s.data)
            expect(await db.getDocumentAt(doc.getId(), { time: s.time })).toEqual(s.data)
          }
          expect(await db.getDocumentAt(doc.getId(), { time: seen[0]!.time - 10_000 })).toBeUndefined()
        },
      ),
      { numRuns: 15 },
    )
  })

  it('concurrent branches: the state at one device’s heads is that device’s state before the merge', async () => {
    const { dbs } = await partners(['acme', 'globex'], 'notes', 'notes-key')
    const [a, b] = [dbs[0]!, dbs[1]!]
    const doc = await a.createDocument({ data: { title: 'x' } })
    await b.pullChangesFrom(a)
    await a.changeDoc(doc.getId(), (d) => void (d.getData().left = 1))
    await b.changeDoc(doc.getId(), (d) => void (d.getData().right = 2))
    const aHeads = (await a.getDocument(doc.getId()))!.getHeads()
    await a.pullChangesFrom(b)
    expect((await a.getDocument(doc.getId()))!.toJSON()).toEqual({ title: 'x', left: 1, right: 2 })
    expect(await a.getDocumentAt(doc.getId(), { heads: aHeads })).toEqual({ title: 'x', left: 1 })
    const patches = await a.diff(doc.getId(), aHeads, (await a.getDocument(doc.getId()))!.getHeads())
    expect(patches.map((p) => p.path.join('.'))).toEqual(['right'])
  })

  it('lists the documents that existed at a time', async () => {
    const { db } = await database()
    const one = await db.createDocument({ data: { n: 1 } })
    await tick()
    const t1 = Date.now()
    await tick()
    const two = await db.createDocument({ data: { n: 2 } })
    await tick()
    const t2 = Date.now()
    await tick()
    await db.deleteDocument(one)
    expect(await db.getAllDocumentIdsAt(t1)).toEqual([one.getId()])
    expect(await db.getAllDocumentIdsAt(t2)).toEqual([one.getId(), two.getId()].sort())
    expect(await db.getAllDocumentIdsAt(Date.now())).toEqual([two.getId()])
  })

  it('heads that are not the document’s are a typed error', async () => {
    const { db } = await database()
    const doc = await db.createDocument({ data: {} })
    await expect(db.getDocumentAt(doc.getId(), { heads: ['ab'.repeat(32) as ChangeHash] })).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
    })
  })
})
