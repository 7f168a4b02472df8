import { ready, toHex } from '@weft/core/backend'
import { EntryFactory } from '@weft/core/testing'
import fc from 'fast-check'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { batchShape, makeBatch } from '../helpers/spoiledBatches.ts'
import { startBrowserRun, type BrowserRun } from './helpers/browserRun.ts'
import type { PageBatch } from './page/verifierPoolPage.ts'

const pageFile = (file: string): string => new URL(`./page/${file}`, import.meta.url).pathname

/** A Web Worker pool in Chromium accepts exactly what the page's own check accepts. */
describe('the Web Worker verifier pool in Chromium', () => {
  let run: BrowserRun
  let page: Page

  beforeAll(async () => {
    await ready()
    run = await startBrowserRun({
      verifierPool: { entry: pageFile('verifierPoolPage.ts') },
      verifierWorker: { entry: pageFile('verifierWorker.ts') },
    })
    try {
      page = await run.open('verifierPool', () => globalThis.weftVerifierPage !== undefined)
    } catch (err) {
      await run.close()
      throw err
    }
  }, 90_000)

  afterAll(async () => {
    await run?.close()
  })

  it('gives the same accepted set with and without the pool, for valid, forged and vouched entries', async () => {
    const authors = [new EntryFactory(1), new EntryFactory(1)]
    let asked = 0
    await fc.assert(
      fc.asyncProperty(batchShape(), async (specs) => {
        const batch: PageBatch = makeBatch(specs, authors).map((e) => ({ hash: e.hash, bytes: toHex(e.bytes) }))
        const verdict = await page.evaluate((b) => globalThis.weftVerifierPage!.run(b), batch)
        expect(verdict.pooled).toEqual(verdict.alone)
        asked += verdict.asked
      }),
      { numRuns: 30 },
    )
    expect(asked).toBeGreaterThan(0)
    // No worker failed along the way (a failed one is dropped and its checks run on the page).
    expect(await page.evaluate(() => globalThis.weftVerifierPage!.size())).toBe(2)
    expect(run.pageErrors).toEqual([])
  })
})
