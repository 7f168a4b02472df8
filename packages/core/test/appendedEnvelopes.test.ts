import { beforeAll, describe, expect, it, vi } from 'vitest'
import { ready } from '../src/index.ts'
import { parseEntry, type EntryEnvelope, type VerifiedEntry } from '../src/backend.ts'
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

  it('hears each stored entry parsed over the store copy, so a caller reusing its buffers changes nothing', async () => {
    const { b, id, envelopes } = await setUp()
    const mine = envelopes.map((e) => ({ hash: e.hash, bytes: e.bytes.slice() }))
    const heard: VerifiedEntry[] = []
    b.getStore().subscribe((_, entries) => {
      heard.push(...((entries ?? []) as VerifiedEntry[]))
      for (const e of mine) e.bytes.fill(0) // the caller reuses its buffers before the database materialises
    })
    const r = await b.getStore().appendMany(mine)
    expect(heard.map((e) => e.hash).sort()).toEqual([...r.added].sort())
    for (const e of heard) {
      const { parsed } = e
      expect(parsed.bytes).toBe(e.bytes)
      for (const view of [parsed.headerBytes, parsed.ciphertext, parsed.signature, parsed.header.nonce])
        expect(view.buffer).toBe(e.bytes.buffer)
      expect(parsed).toEqual(parseEntry(e.hash, e.bytes))
    }
    const report = await b.syncStoreChanges(r.added) // materialised from what the listener heard
    expect(report.rejected).toEqual([])
    expect(report.applied).toHaveLength(envelopes.length)
    expect((await b.getDocument(id))?.toJSON()).toEqual({ x: 2 })
  })
})
