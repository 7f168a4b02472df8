import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AppliedMemo } from '../src/db/AppliedMemo.ts'
import type { ChangeHash, DocId } from '../src/types.ts'

const hash = (i: number) => i.toString(16).padStart(64, '0') as ChangeHash
const doc = (i: number) => `d${i}` as DocId

describe('AppliedMemo', () => {
  it('never forgets an entry of a document that is materialised, and forgets the others only past its limit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.record({ doc: fc.nat(9), prune: fc.boolean(), loaded: fc.nat(1023) }), { maxLength: 200 }),
        (limit, steps) => {
          const memo = new AppliedMemo(limit)
          const kept = new Map<ChangeHash, DocId>() // entries of documents materialised at every prune
          steps.forEach((s, i) => {
            memo.set(hash(i), doc(s.doc))
            kept.set(hash(i), doc(s.doc))
            if (!s.prune) return
            const loaded = (id: DocId) => ((s.loaded >> Number(id.slice(1))) & 1) === 1
            const before = memo.size
            memo.prune(loaded)
            if (before <= limit) expect(memo.size).toBe(before)
            for (const [h, id] of kept) if (!loaded(id)) kept.delete(h)
          })
          for (const [h, id] of kept) expect(memo.get(h)).toBe(id)
        },
      ),
    )
  })

  it('reads a constant amortised number of entries per entry remembered, when the documents in memory hold more than the limit', () => {
    const reads = (n: number) => {
      const memo = new AppliedMemo(100)
      let count = 0
      for (let i = 0; i < n; i++) {
        memo.set(hash(i), doc(i))
        memo.prune(() => {
          count++
          return true // every document stays materialised: nothing can be forgotten
        })
      }
      expect(memo.size).toBe(n)
      return count
    }
    // Reading the whole memo at every prune past the limit reads about n² / 2 entries.
    expect(reads(2_000)).toBeLessThanOrEqual(3 * 2_000)
    expect(reads(20_000)).toBeLessThanOrEqual(3 * 20_000)
  })
})
