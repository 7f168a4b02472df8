import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DocState } from '../src/db/DocState.ts'
import { asDocId, type ChangeHash } from '../src/types.ts'

const HASHES = Array.from({ length: 12 }, (_, i) => i.toString(16).padStart(64, '0') as ChangeHash)
const hash = fc.constantFrom(...HASHES)

type Op =
  | { op: 'apply'; hash: ChangeHash; deps: ChangeHash[] }
  | { op: 'snapshot'; covers: ChangeHash[]; heads: ChangeHash[]; refs: ChangeHash[] }
  | { op: 'mark'; hash: ChangeHash }
  | { op: 'hold'; hash: ChangeHash }
  | { op: 'unload' }

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ op: fc.constant('apply' as const), hash, deps: fc.array(hash, { maxLength: 3 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('snapshot' as const),
      covers: fc.array(hash, { maxLength: 4 }),
      heads: fc.array(hash, { maxLength: 2 }),
      refs: fc.array(hash, { maxLength: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('mark' as const), hash }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('hold' as const), hash }) },
  { weight: 1, arbitrary: fc.constant({ op: 'unload' as const }) },
)

describe('a document state’s gaps', () => {
  it('are always the referenced entries neither applied nor held, in the order first referenced, whatever the order of applies, snapshots and unloads', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const state = new DocState(asDocId('ab'.repeat(16)))
        for (const o of ops) {
          if (o.op === 'apply') state.noteApplied(o.hash, o.deps)
          else if (o.op === 'snapshot') state.noteSnapshot(o.covers, o.heads, o.refs)
          else if (o.op === 'mark') state.markApplied(o.hash)
          else if (o.op === 'hold') state.pending.set(o.hash, 'WEFT_MISSING_DEPENDENCY')
          else {
            // An unload keeps the gaps as the summary; a load starts the sets afresh.
            const before = state.missing()
            state.unload()
            expect(state.missing()).toEqual(before)
            state.loaded = true
          }
          // The definition, computed from the whole history.
          const referenced = [...state.referenced]
          expect(state.unappliedRefs()).toEqual(referenced.filter((h) => !state.applied.has(h)))
          expect(state.missing()).toEqual(referenced.filter((h) => !state.applied.has(h) && !state.pending.has(h)))
        }
      }),
      { numRuns: 300 },
    )
  })
})
