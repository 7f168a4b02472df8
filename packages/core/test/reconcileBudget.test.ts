import { beforeAll, describe, expect, it } from 'vitest'
import {
  ErrorCodes,
  processReconcileMessage,
  RECONCILE_LIMITS,
  RECONCILE_VERSION,
  ready,
  reconcile,
  SortedHashSet,
  randomBytes,
  toHex,
  type ChangeHash,
  type HashRange,
  type ReconcileMessage,
  type ReconcileSource,
} from '../src/backend.ts'
import { reconcileCost } from '../src/sync/reconcile/reconcileCost.ts'

beforeAll(ready)

const randomHashes = (n: number): ChangeHash[] => Array.from({ length: n }, () => toHex(randomBytes(32)) as ChangeHash)

/** A source that counts what it is asked to read. */
function counting(inner: ReconcileSource): ReconcileSource & { reads: number } {
  const c = {
    reads: 0,
    fingerprint: (r: HashRange) => ((c.reads += 1), inner.fingerprint(r)),
    hashesInRange: (r: HashRange, o?: { limit?: number }) => ((c.reads += 1), inner.hashesInRange(r, o)),
  }
  return c
}

/** `n` split items over distinct prefixes: 16 ranges each, each of which may split (272 range reads at most). */
function splits(n: number): ReconcileMessage {
  const fp = new Uint8Array(16 * 16)
  const items = Array.from({ length: n }, (_, i) => ({
    t: 'split' as const,
    p: i.toString(16).padStart(4, '0'),
    n: new Array(16).fill(1),
    fp,
  }))
  return { v: RECONCILE_VERSION, items }
}

describe('the work budget of one reconciliation message', () => {
  it('a responder refuses a message naming more ranges than the budget with WEFT_WORK_LIMIT, reading nothing', async () => {
    const source = counting(new SortedHashSet(randomHashes(100)))
    const over = splits(Math.floor(RECONCILE_LIMITS.maxRangeReadsPerMessage / 272) + 1)
    await expect(processReconcileMessage(source, over, { role: 'responder' })).rejects.toMatchObject({
      code: ErrorCodes.WORK_LIMIT,
    })
    expect(source.reads).toBe(0)
    // At the budget exactly, it answers.
    const at = splits(Math.floor(RECONCILE_LIMITS.maxRangeReadsPerMessage / 272))
    expect((await processReconcileMessage(source, at, { role: 'responder' })).message).not.toBeNull()
    expect(source.reads).toBeGreaterThan(0)
  })

  it('an initiator sends a long message as several within the budget, and still finds every difference', async () => {
    const common = randomHashes(30_000)
    const onlyA = randomHashes(12_000)
    const onlyB = randomHashes(12_000)
    const A = new SortedHashSet([...common, ...onlyA])
    const B = new SortedHashSet([...common, ...onlyB])
    const costs: number[] = []
    // The responder keeps its default budget: every message must fit it.
    const result = await reconcile(A, async (m) => {
      costs.push(reconcileCost(m))
      return (await processReconcileMessage(B, m, { role: 'responder' })).message!
    })
    expect(new Set(result.have)).toEqual(new Set(onlyA))
    expect(new Set(result.need)).toEqual(new Set(onlyB))
    expect(Math.max(...costs)).toBeLessThanOrEqual(RECONCILE_LIMITS.maxRangeReadsPerMessage)
    expect(costs.length).toBe(result.rounds)
  }, 60_000)
})
