/**
 * `npm run bench -- verify`: entries whose signatures must each be checked (no same-author entry
 * of the batch vouches for them), verified on one thread with libsodium, beside the same batch
 * through the store's default check (WebCrypto, which Node runs on its own thread pool) and through
 * a pool of worker threads (`createNodeVerifierPool`), in one run. On 2 cores a pool can do at most
 * about 2x one thread, less what the calling thread spends packing and parsing.
 */
import { availableParallelism, loadavg } from 'node:os'
import { checkEntryBatch, DEFAULT_ENTRY_LIMITS, verifyEntry, WeftError, type EntryEnvelope } from '@weft/core/backend'
import { EntryFactory } from '@weft/core/testing'
import { createNodeVerifierPool } from '@weft/store-level'
import { fmtRate, fmtRatio, median, progress, type Figure } from './report.ts'

const ENTRIES = 4_000
const AUTHORS = 8
const RUNS = 5
/** A pool on n cores should reach well over one thread's rate; on 2 cores at most about 2x. */
const TARGET = 1.5

export async function benchVerify(options: { entries?: number; runs?: number } = {}): Promise<Figure[]> {
  const n = options.entries ?? ENTRIES
  const runs = options.runs ?? RUNS
  progress(`verify: signing ${n.toLocaleString('en-US')} entries`)
  const authors = Array.from({ length: AUTHORS }, () => new EntryFactory(n / AUTHORS))
  // Plain envelopes (no "signed here" mark), each a document's first entry: every signature is checked.
  const list: EntryEnvelope[] = authors.flatMap((f) =>
    f.entries(n / AUTHORS).map((e) => ({ hash: e.hash, bytes: e.bytes.slice() })),
  )
  const threads = availableParallelism()
  const pool = createNodeVerifierPool({ threads })
  /**
   * Entries per second of each way, median of `runs`; the ways take turns within each round, so a
   * change in the machine's load moves all three alike.
   */
  const rates = async (ways: readonly (() => Promise<number>)[]): Promise<number[]> => {
    for (const way of ways) await way() // warm-up
    const perWay: number[][] = ways.map(() => [])
    for (let r = 0; r < runs; r++) {
      for (const [i, way] of ways.entries()) {
        const start = performance.now()
        const accepted = await way()
        if (accepted !== list.length) throw new Error(`verify bench accepted ${accepted} of ${list.length}`)
        perWay[i]!.push((list.length / (performance.now() - start)) * 1000)
      }
    }
    return perWay.map(median)
  }
  const settled = async (verifier?: typeof pool): Promise<number> => {
    const batch = await checkEntryBatch(list, DEFAULT_ENTRY_LIMITS, verifier ? { verifier } : {})
    if (batch.signaturesChecked !== list.length) throw new Error('verify bench: some signatures were not checked')
    return batch.settle([]).filter((o) => !(o instanceof WeftError)).length
  }
  try {
    progress(`verify: one thread, the default check (WebCrypto) and a pool of ${threads} worker threads, in turns`)
    const [one, webCrypto, pooled] = (await rates([
      async () => list.filter((e) => verifyEntry(e.hash, e.bytes)).length,
      () => settled(),
      () => settled(pool),
    ])) as [number, number, number]
    return [
      {
        name: `verify ${n.toLocaleString('en-US')} entries on ${threads} worker threads`,
        value: fmtRate(pooled, 'entry'),
        reference: `${fmtRate(one, 'entry')} 1 thread`,
        ratio: pooled / one,
        target: `>= ${TARGET.toFixed(2)}`,
        met: pooled / one >= TARGET,
        notes: [
          `every signature checked (no vouching): size, hash, parse and Ed25519 per entry; median of ${runs} rounds, the three ways in turns within each`,
          `1 thread: verifyEntry (libsodium) in a loop; pool: checkEntryBatch with createNodeVerifierPool({ threads: ${threads} }) (libsodium in each worker)`,
          `the store's default check, WebCrypto concurrently (Node runs it on its libuv thread pool): ${fmtRate(webCrypto, 'entry')} = ${fmtRatio(webCrypto / one)} one thread; pool / default = ${fmtRatio(pooled / webCrypto)}`,
          `${threads} cores here: a pool can reach at most about ${threads}x one thread, less the calling thread's packing and parsing; load average at the end ${loadavg()[0]!.toFixed(1)} (other work on the machine takes cores from the pool first)`,
        ],
      },
    ]
  } finally {
    await pool.close()
  }
}
