import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { ready, TenantFactory, TEST_KDF, whereField, type Cursor, type DocId } from '../src/index.ts'

beforeAll(ready)

describe('iterateChangesSince', () => {
  it('yields cursors with the check of their position, so a store restored from an older copy starts them over', async () => {
    const f = new TenantFactory({ kdf: TEST_KDF })
    const db = await (await f.createTenant({ tenantId: 't', password: 'p' })).openDB('d')
    for (let i = 0; i < 3; i++) await db.createDocument({ data: { i } })
    const hashes = await db.getStore().getAllChangeHashes()
    const cursors: Cursor[] = []
    for await (const { cursor } of db.iterateChangesSince(null, { pageSize: 1 })) cursors.push(cursor)
    expect(cursors.map((c) => c.seq)).toEqual([1, 2, 3])
    cursors.forEach((c) => expect(hashes[c.seq - 1]!.startsWith(c.at!)).toBe(true))
    // A cursor whose check names another entry than the store holds at its number starts over.
    const wrong = { ...cursors[1]!, at: hashes[0]!.slice(0, cursors[1]!.at!.length) }
    const seen: DocId[] = []
    for await (const { doc } of db.iterateChangesSince(wrong)) seen.push(doc.getId())
    expect(seen).toHaveLength(3)
  })

  it('resumed from any yielded cursor, misses nothing and repeats nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constant(-1), fc.nat(5)), { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat(6), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 1, max: 7 }),
        async (ops, stops, pageSize) => {
          const f = new TenantFactory({ kdf: TEST_KDF })
          const db = await (await f.createTenant({ tenantId: 't', password: 'p' })).openDB('d')
          const ids: DocId[] = []
          /** seq of the last entry of each document */
          const lastSeq = new Map<DocId, number>()
          let seq = 0
          for (const op of ops) {
            let id: DocId
            if (op === -1 || ids.length === 0) {
              id = (await db.createDocument({ data: { v: 0 } })).getId()
              ids.push(id)
            } else {
              id = ids[op % ids.length]!
              await db.changeDoc(id, (d) => void (d.getData().v = seq))
            }
            lastSeq.set(id, ++seq)
          }
          // Walk in stages, stopping after a random number of yields each time.
          let cursor: Cursor | null = null
          const yielded: { id: DocId; after: number }[] = []
          for (let stage = 0; ; stage++) {
            const from = cursor?.seq ?? 0
            let n = 0
            let broke = false
            for await (const { doc, cursor: c } of db.iterateChangesSince(cursor, { pageSize })) {
              yielded.push({ id: doc.getId(), after: from })
              expect(c.seq).toBeGreaterThan(from)
              cursor = c
              if (++n >= stops[stage % stops.length]! + 1) {
                broke = true
                break
              }
            }
            if (!broke) break
          }
          // every document is yielded after the last time it changed...
          for (const [id, last] of lastSeq) expect(yielded.some((y) => y.id === id && last > y.after)).toBe(true)
          // ...and never in a stage that started after its last change (no repeats)
          for (const y of yielded) expect(lastSeq.get(y.id)!).toBeGreaterThan(y.after)
        },
      ),
      { numRuns: 40 },
    )
  })

  it('advances its cursor over documents the filter skipped', async () => {
    const f = new TenantFactory({ kdf: TEST_KDF })
    const db = await (await f.createTenant({ tenantId: 't', password: 'p' })).openDB('d')
    await db.createDocument({ data: { type: 'order' } })
    await db.createDocument({ data: { type: 'note' } })
    await db.createDocument({ data: { type: 'note' } })
    const it = db.iterateChangesSince(null, { filter: whereField('type', 'order') })
    const seen: string[] = []
    for await (const { doc } of it) seen.push(doc.getData().type)
    expect(seen).toEqual(['order'])
    expect(it.cursor?.seq).toBe(3)
    const again: unknown[] = []
    for await (const x of db.iterateChangesSince(it.cursor)) again.push(x)
    expect(again).toEqual([])
  })

  it('stops with WEFT_ABORTED when its signal aborts', async () => {
    const f = new TenantFactory({ kdf: TEST_KDF })
    const db = await (await f.createTenant({ tenantId: 't', password: 'p' })).openDB('d')
    for (let i = 0; i < 3; i++) await db.createDocument({ data: { i } })
    const ac = new AbortController()
    const run = async () => {
      for await (const _ of db.iterateChangesSince(null, { signal: ac.signal })) ac.abort()
    }
    await expect(run()).rejects.toMatchObject({ code: 'WEFT_ABORTED' })
  })
})
