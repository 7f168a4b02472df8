/**
 * The verifier pool page: a Web Worker pool (`createWebVerifierPool`, workers from
 * verifierWorker.ts) beside the check on the page's own thread, over the batches the Node side
 * (test/browser/verifierPool.test.ts) sends.
 */
import { createWebVerifierPool, ready, type SignatureCheck } from '@weft/core'
import { authenticateEntries, DEFAULT_ENTRY_LIMITS, fromHex, WeftError, type ChangeHash } from '@weft/core/backend'

/** A batch as it crosses into the page: hashes and hex bytes. */
export type PageBatch = readonly { readonly hash: string; readonly bytes: string }[]

/** What the page accepted, with the pool and without, and how many signatures the pool checked. */
export interface PoolVerdict {
  readonly pooled: string[]
  readonly alone: string[]
  readonly asked: number
}

const pool = createWebVerifierPool({
  size: 2,
  createWorker: () => new Worker('/verifierWorker.js', { type: 'module' }),
})
let asked = 0
const verifier = {
  minBatch: 1,
  verifyMany(checks: readonly SignatureCheck[]) {
    asked += checks.length
    return pool.verifyMany(checks)
  },
}

async function run(batch: PageBatch): Promise<PoolVerdict> {
  const list = batch.map((e) => ({ hash: e.hash as ChangeHash, bytes: fromHex(e.bytes) }))
  const accepted = async (options: { verifier?: typeof verifier }) => {
    const outcomes = await authenticateEntries(list, DEFAULT_ENTRY_LIMITS, options)
    return list.filter((_, i) => !(outcomes[i] instanceof WeftError)).map((e) => e.hash as string)
  }
  const before = asked
  const pooled = await accepted({ verifier })
  return { pooled, alone: await accepted({}), asked: asked - before }
}

declare global {
  var weftVerifierPage: { run(batch: PageBatch): Promise<PoolVerdict>; size(): number } | undefined
}

await ready()
globalThis.weftVerifierPage = { run, size: () => pool.size }
