import { beforeAll, describe, expect, it, vi } from 'vitest'
import { ready } from '../src/index.ts'
import type { EntryEnvelope } from '../src/backend.ts'
import { partners } from './helpers/partners.ts'

beforeAll(ready)

/** Two partners; `a` wrote one document in two entries. Returns `b` and the envelopes of `a`'s entries. */
async function setUp() {
  const {
    dbs: [a, b],
  } = await partners(['a', 'b'])
  const doc = await a!.createDocument({ data: { x: 1 } })
  await a!.changeDoc(doc, (d) => void (d.getData().x = 2))
  const envelopes = await a!.getStore().getChanges(await a!.getStore().getAllChangeHashes())
  return { b: b!, id: doc.getId(), envelopes }
}

/** A copy of `e` with its last byte flipped: the same claimed hash, other bytes. */
function tampered(e: EntryEnvelope): EntryEnvelope {
  const bytes = e.bytes.slice()
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1
  return { hash: e.hash, bytes }
}

describe('a database materialises what its store just stored without reading it back', () => {
  it('takes the store copies its append listener hears', async () => {
    const { b, id, envelopes } = await setUp()
    const reads = vi.spyOn(b.getStore(), 'getChanges')
    const r = await b.getStore().appendMany(envelopes)
    const report = await b.syncStoreChanges(r.added)
    expect(reads).not.toHaveBeenCalled()
    expect([...report.applied].sort()).toEqual([...r.added].sort())
    expect((await b.getDocument(id))?.toJSON()).toEqual({ x: 2 })
  })

  it('materialises the copy the store verified when a batch carries one hash twice, in either order', async () => {
    for (const order of ['bad first', 'good first'] as const) {
      const { b, id, envelopes } = await setUp()
      const [first, ...rest] = envelopes
      const bad = tampered(first!)
      const r = await b.getStore().appendMany(order === 'bad first' ? [bad, first!, ...rest] : [first!, bad, ...rest])
      expect(r.added).toHaveLength(envelopes.length)
      const report = await b.syncStoreChanges(r.added)
      expect(report.rejected).toEqual([])
      expect(report.applied).toHaveLength(envelopes.length)
      expect((await b.getDocument(id))?.toJSON()).toEqual({ x: 2 })
    }
  })
})
