import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { applyDecoded, type DecodedEntry } from '../src/db/applyDecoded.ts'
import { DocState, type DocData } from '../src/db/DocState.ts'
import { ready } from '../src/crypto/index.ts'
import type { ParsedEntry } from '../src/entries/index.ts'
import type { DocId } from '../src/types.ts'

beforeAll(ready)

/** Bytes that look like a change chunk's magic but are not one (Automerge refuses them). */
const JUNK = new Uint8Array([0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 1, 200])

/** `writers` actors each making `edits` changes to one document, concurrently after a shared start. */
function history(writers: number, edits: number): { changes: Uint8Array[]; value: DocData; heads: string[] } {
  const start = A.change(A.init<DocData>({ actor: 'aa00' }), (d) => void (d.start = true))
  let merged = A.clone(start)
  for (let w = 1; w <= writers; w++) {
    let mine = A.clone(start, { actor: `aa${w.toString(16).padStart(2, '0')}` })
    for (let e = 0; e < edits; e++) mine = A.change(mine, (d) => void (d[`w${w}`] = e))
    merged = A.merge(merged, mine)
  }
  return {
    changes: A.getAllChanges(merged),
    value: JSON.parse(JSON.stringify(merged)) as DocData,
    heads: A.getHeads(merged).sort(),
  }
}

/** Entries of `changes` cut into runs of the given sizes; applyDecoded hands back only the entry objects. */
function entries(changes: readonly Uint8Array[], cuts: readonly number[]): DecodedEntry[] {
  const out: DecodedEntry[] = []
  let at = 0
  for (const n of cuts) {
    if (at >= changes.length) break
    out.push({ entry: { hash: `e${out.length}` } as unknown as ParsedEntry, changes: changes.slice(at, at + n) })
    at += n
  }
  if (at < changes.length) out.push({ entry: { hash: 'rest' } as unknown as ParsedEntry, changes: changes.slice(at) })
  return out
}

const value = (state: DocState) => JSON.parse(JSON.stringify(state.am)) as DocData

describe('applyDecoded', () => {
  it('gives the same document however the changes are cut into entries and batches', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
        (writers, edits, cuts, batchSizes) => {
          const h = history(writers, edits)
          const all = entries(h.changes, cuts)
          const state = new DocState('d1' as DocId)
          let at = 0
          for (let b = 0; at < all.length; b++) {
            const n = batchSizes[b % batchSizes.length]!
            expect(applyDecoded(state, all.slice(at, at + n), undefined)).toEqual([])
            at += n
          }
          expect(state.waiting).toEqual([])
          expect(value(state)).toEqual(h.value)
          expect(A.getHeads(state.am!).sort()).toEqual(h.heads)
        },
      ),
      { numRuns: 40 },
    )
  })

  it('refuses only the entry whose change Automerge rejects, applies the rest, and drops it from the batch', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.nat(20), fc.boolean(), (writers, where, loaded) => {
        const h = history(writers, 3)
        const good = entries(h.changes, [1])
        const bad: DecodedEntry = { entry: { hash: 'bad' } as unknown as ParsedEntry, changes: [JUNK] }
        const batch = [...good]
        batch.splice(where % (batch.length + 1), 0, bad)
        const state = new DocState('d1' as DocId)
        // Either a fresh document or one that already holds the first change.
        if (loaded) state.am = A.applyChanges(A.init<DocData>(), h.changes.slice(0, 1))[0]
        const refused = applyDecoded(state, batch, undefined)
        expect(refused.map((r) => r.entry)).toEqual([bad.entry])
        expect(batch).not.toContain(bad)
        expect(batch).toHaveLength(good.length)
        expect(value(state)).toEqual(h.value)
      }),
      { numRuns: 30 },
    )
  })

  it('takes a tail of many concurrent chains after a snapshot in one load of the save, to the same document', () => {
    const h = history(8, 2)
    const cut = 1 // the shared start is in the save; every writer's chain is in the tail
    const saved = A.applyChanges(A.init<DocData>(), h.changes.slice(0, cut))[0]
    const save = A.save(saved)
    const state = new DocState('d1' as DocId)
    state.am = A.load<DocData>(save)
    const tail = entries(h.changes.slice(cut), [1])
    expect(applyDecoded(state, tail, { save, am: state.am })).toEqual([])
    expect(value(state)).toEqual(h.value)
    expect(A.getHeads(state.am!).sort()).toEqual(h.heads)
  })
})
