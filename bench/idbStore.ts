import { CHROMIUM_PATH } from '../test/browser/helpers/launchChromium.ts'
import { startBrowserRun } from '../test/browser/helpers/browserRun.ts'
import type { IdbBenchOptions } from '../test/browser/page/idbBenchPage.ts'
import { fmtRate, median, progress, type Figure } from './report.ts'

const OPTIONS: IdbBenchOptions = { batches: 5, batchSize: 1_000, payloadBytes: 200, runs: 3, durability: 'strict' }
const TARGET = 0.6

/**
 * Entries/s appended through `IdbChangeStore` in headless Chromium (batches of 1,000 pre-made
 * entries, default `strict` durability) beside raw IndexedDB puts of the same bytes in the same
 * page run (one readwrite transaction per batch, same durability). Needs Chromium at
 * `CHROMIUM_PATH` (default `/usr/bin/chromium`); the page is bundled and served on 127.0.0.1.
 */
export async function benchIdbStore(): Promise<Figure> {
  const page = new URL('../test/browser/page/idbBenchPage.ts', import.meta.url).pathname
  progress(`IndexedDB bench: bundling and launching Chromium (${CHROMIUM_PATH})`)
  const run = await startBrowserRun({ 'idb-bench': { entry: page, bundle: { minify: true } } })
  try {
    const tab = await run.open('idb-bench', () => globalThis.weftIdbBench !== undefined)
    const r = await tab.evaluate((options) => globalThis.weftIdbBench!.run(options), OPTIONS)
    const store = median(r.store)
    const raw = median(r.raw)
    r.store.forEach((s, i) =>
      progress(
        `IndexedDB run ${i + 1}/${r.store.length}: IdbChangeStore ${fmtRate(s, 'entry')}, raw ${fmtRate(r.raw[i]!, 'put')}`,
      ),
    )
    const ratio = store / raw
    const total = OPTIONS.batches * OPTIONS.batchSize
    return {
      name: 'IndexedDB append (IdbChangeStore, Chromium)',
      value: fmtRate(store, 'entry'),
      reference: `${fmtRate(raw, 'put')} raw IndexedDB`,
      ratio,
      target: `>= ${TARGET.toFixed(2)}`,
      met: ratio >= TARGET,
      notes: [
        `${total.toLocaleString('en-US')} entries of ${r.entryBytes} B in batches of ${OPTIONS.batchSize.toLocaleString('en-US')}, ${OPTIONS.durability} durability, median of ${OPTIONS.runs} runs`,
        `runs: IdbChangeStore ${r.store.map((s) => fmtRate(s, 'entry')).join(', ')}; raw ${r.raw.map((s) => fmtRate(s, 'put')).join(', ')}`,
        `entries as received from another peer (signature verified in the page): ${fmtRate(r.received, 'entry')}`,
        'requests per entry: raw 1 put; IdbChangeStore 2 (the entry add, which also drops duplicates inside the transaction, and the arrival record put), plus a read and a write of each range-fingerprint index node the batch touches (about 2 per entry for 1,000 random hashes)',
      ],
    }
  } finally {
    await run.close()
  }
}
