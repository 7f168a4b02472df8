import { CHROMIUM_PATH } from '../test/browser/helpers/launchChromium.ts'
import { startBrowserRun } from '../test/browser/helpers/browserRun.ts'
import type { IdbBenchOptions } from '../test/browser/page/idbBenchPage.ts'
import { fmtRate, median, progress, type Figure } from './report.ts'

const OPTIONS: IdbBenchOptions = { batches: 10, batchSize: 1_000, payloadBytes: 200, runs: 5, durability: 'strict' }
const TARGET = 0.6

/**
 * Entries/s appended through `IdbChangeStore` in headless Chromium (batches of 1,000 pre-made
 * entries, default `strict` durability) beside raw IndexedDB puts of the same bytes in the same
 * page run (one readwrite transaction per batch, same durability): once with the entries spread
 * over 16 documents, once with every entry its own document (one `byDoc` index row per entry, the
 * costliest batch). Needs Chromium at `CHROMIUM_PATH` (default `/usr/bin/chromium`); the page is
 * bundled and served on 127.0.0.1.
 */
export async function benchIdbStore(): Promise<Figure[]> {
  const page = new URL('../test/browser/page/idbBenchPage.ts', import.meta.url).pathname
  progress(`IndexedDB bench: bundling and launching Chromium (${CHROMIUM_PATH})`)
  const run = await startBrowserRun({ 'idb-bench': { entry: page, bundle: { minify: true } } })
  try {
    const tab = await run.open('idb-bench', () => globalThis.weftIdbBench !== undefined)
    const r = await tab.evaluate((options) => globalThis.weftIdbBench!.run(options), OPTIONS)
    const raw = median(r.raw)
    r.store.forEach((s, i) =>
      progress(
        `IndexedDB run ${i + 1}/${r.store.length}: IdbChangeStore ${fmtRate(s, 'entry')} (${fmtRate(r.storeManyDocs[i]!, 'entry')} one document each), raw ${fmtRate(r.raw[i]!, 'put')}`,
      ),
    )
    const total = OPTIONS.batches * OPTIONS.batchSize
    const shape = `${total.toLocaleString('en-US')} entries of ${r.entryBytes} B in batches of ${OPTIONS.batchSize.toLocaleString('en-US')}, ${OPTIONS.durability} durability, median of ${OPTIONS.runs} runs`
    const figure = (name: string, runs: number[], notes: string[]): Figure => {
      const ratio = median(runs) / raw
      return {
        name,
        value: fmtRate(median(runs), 'entry'),
        reference: `${fmtRate(raw, 'put')} raw IndexedDB`,
        ratio,
        target: `>= ${TARGET.toFixed(2)}`,
        met: ratio >= TARGET,
        notes: [
          shape,
          `runs: IdbChangeStore ${runs.map((s) => fmtRate(s, 'entry')).join(', ')}; raw ${r.raw.map((s) => fmtRate(s, 'put')).join(', ')}`,
          ...notes,
        ],
      }
    }
    return [
      figure(`IndexedDB append (IdbChangeStore, Chromium, ${r.docs} documents)`, r.store, [
        `entries as received from another peer (signature verified in the page): ${fmtRate(r.received, 'entry')}`,
        `requests per batch: raw 1 put per entry; IdbChangeStore 1 add per entry (which also drops duplicates inside the transaction), then 1 log record, 1 document-group record per 32 documents the batch touches (${Math.ceil(r.docs / 32)} here), 17 index records read and written, and the meta record`,
      ]),
      figure('IndexedDB append (IdbChangeStore, Chromium, each entry its own document)', r.storeManyDocs, [
        'the costliest batch for the layout: 32 document-group records per batch, and one row of their byDoc index per entry',
      ]),
    ]
  } finally {
    await run.close()
  }
}
