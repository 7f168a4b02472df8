import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  encodeReconcileMessage,
  MemoryChangeStore,
  parseReconcileMessage,
  processReconcileMessage,
  ready,
  reconcile,
  reconcileInProcess,
  SortedHashSet,
  ErrorCodes,
  isWeftError,
  createReconcileMessage,
  type ChangeHash,
  type ReconcileOptions,
  type ReconcileMessage,
  type ReconcileSource,
} from '../src/backend.ts'
import { EntryFactory, envelope } from '../src/store/conformance/index.ts'
import { MemoryPrefixIndex } from '../src/store/MemoryPrefixIndex.ts'

beforeAll(ready)

const hash = fc.string({
  unit: fc.constantFrom(...'0123456789abcdef'),
  minLength: 64,
  maxLength: 64,
}) as fc.Arbitrary<ChangeHash>
const sorted = (xs: Iterable<string>) => [...xs].sort()

/** Two random sets sharing a random common part. */
const twoSets = fc
  .record({
    common: fc.uniqueArray(hash, { maxLength: 300 }),
    onlyA: fc.uniqueArray(hash, { maxLength: 60 }),
    onlyB: fc.uniqueArray(hash, { maxLength: 60 }),
  })
  .map(({ common, onlyA, onlyB }) => {
    const c = new Set(common)
    const a = onlyA.filter((h) => !c.has(h))
    const aSet = new Set(a)
    const b = onlyB.filter((h) => !c.has(h) && !aSet.has(h))
    return { a: [...common, ...a], b: [...common, ...b], onlyA: a, onlyB: b }
  })

const options = fc.record({
  leafSize: fc.integer({ min: 1, max: 20 }),
  diffSize: fc.integer({ min: 1, max: 300 }),
  maxIdsPerMessage: fc.integer({ min: 1, max: 500 }),
}) as fc.Arbitrary<Required<ReconcileOptions>>

describe('set reconciliation', () => {
  it('finds exactly the symmetric difference of two random sets, over encoded messages', async () => {
    await fc.assert(
      fc.asyncProperty(twoSets, options, async ({ a, b, onlyA, onlyB }, opts) => {
        const A = new SortedHashSet(a)
        const B = new SortedHashSet(b)
        // Every message goes through the codec, as over a wire.
        const wire = (m: Parameters<typeof encodeReconcileMessage>[0]) =>
          parseReconcileMessage(encodeReconcileMessage(m))
        const result = await reconcile(
          A,
          async (m) => wire((await processReconcileMessage(B, wire(m), { ...opts, role: 'responder' })).message!),
          opts,
        )
        expect(sorted(result.have)).toEqual(sorted(onlyA))
        expect(sorted(result.need)).toEqual(sorted(onlyB))
      }),
      { numRuns: 150 },
    )
  })

  it('settles equal sets in one round trip of a few dozen bytes', async () => {
    const hashes = fc.sample(hash, 2_000)
    const A = new SortedHashSet(hashes)
    const first = await createReconcileMessage(A)
    const r = await reconcileInProcess(A, new SortedHashSet(hashes))
    expect(r).toEqual({ have: [], need: [], rounds: 1 })
    expect(encodeReconcileMessage(first).length).toBeLessThan(64)
  })

  it('sends bytes that grow with the difference, not with the set size', async () => {
    const base = fc.sample(hash, 20_000)
    const extra = fc.sample(hash, 10)
    const A = new SortedHashSet([...base, ...extra])
    const B = new SortedHashSet(base)
    let bytes = 0
    const r = await reconcile(A, async (m) => {
      bytes += encodeReconcileMessage(m).length
      const answer = (await processReconcileMessage(B, m, { role: 'responder' })).message!
      bytes += encodeReconcileMessage(answer).length
      return answer
    })
    expect(sorted(r.have)).toEqual(sorted(extra))
    expect(bytes).toBeLessThan(0.05 * 20_000 * 32)
  })

  it('reconciles real stores, one of them empty', async () => {
    const f = new EntryFactory()
    const a = new MemoryChangeStore()
    const b = new MemoryChangeStore()
    const es = f.entries(40)
    await a.appendMany(es.map(envelope))
    const r = await reconcileInProcess(b, a)
    expect(sorted(r.need)).toEqual(sorted(es.map((e) => e.hash)))
    expect(r.have).toEqual([])
  })

  it('answers every message alike whether a side reads ranges together or one at a time', async () => {
    await fc.assert(
      fc.asyncProperty(twoSets, options, async ({ a, b }, opts) => {
        const indexed = new MemoryPrefixIndex()
        indexed.add(b)
        const calls = { together: 0, single: 0 }
        // The same store seen two ways: with `fingerprints` (counted) and without it.
        const batched: ReconcileSource = {
          fingerprint: (r) => (calls.single++, indexed.fingerprint(r)),
          fingerprints: (rs) => (calls.together++, indexed.fingerprints(rs)),
          hashesInRange: async (r, o) => indexed.hashesInRange(r, o?.limit ?? Infinity),
        }
        const single: ReconcileSource = {
          fingerprint: (r) => indexed.fingerprint(r),
          hashesInRange: async (r, o) => indexed.hashesInRange(r, o?.limit ?? Infinity),
        }
        const A = new SortedHashSet(a)
        let message: ReconcileMessage | null = await createReconcileMessage(A, opts)
        for (let round = 0; message && round < 40; round++) {
          calls.single = 0
          calls.together = 0
          const one = await processReconcileMessage(single, message, { ...opts, role: 'responder' })
          const both = await processReconcileMessage(batched, message, { ...opts, role: 'responder' })
          expect(both).toEqual(one)
          // Read together: one call per run of items and one per split, never one per range.
          expect(calls.single).toBe(0)
          expect(calls.together).toBeLessThanOrEqual(message.items.length + (both.message?.items.length ?? 0))
          message = (await processReconcileMessage(A, both.message!, { ...opts, role: 'initiator' })).message
        }
        expect(message).toBeNull()
      }),
      { numRuns: 60 },
    )
  })

  it('refuses malformed messages with WEFT_PROTOCOL', () => {
    const bad = [
      new Uint8Array([0xc1]),
      encodeReconcileMessage({ v: 2 as 1, items: [] }),
      encodeReconcileMessage({ v: 1, items: [{ t: 'ids', p: 'xyz', ids: new Uint8Array(32) }] }),
      encodeReconcileMessage({ v: 1, items: [{ t: 'ids', p: '', ids: new Uint8Array(31) }] }),
      encodeReconcileMessage({ v: 1, items: [{ t: 'split', p: '', n: [1], fp: new Uint8Array(16) }] }),
    ]
    for (const b of bad) {
      let err: unknown
      try {
        parseReconcileMessage(b)
      } catch (e) {
        err = e
      }
      expect(isWeftError(err, ErrorCodes.PROTOCOL)).toBe(true)
    }
  })
})
