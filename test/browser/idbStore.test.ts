import { ErrorCodes } from '@weft/core'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBrowserRun, type BrowserRun } from './helpers/browserRun.ts'
import type { TestResult } from './page/idbPageApi.ts'

/**
 * The core conformance suite's tests, by name. The page runs the suite itself; this list is what
 * each is asserted by here, and the last test fails if the page ran one this list lacks.
 */
const CONFORMANCE_TESTS = [
  'appends entries and returns their exact bytes',
  'leaves unknown hashes out of getChanges and keeps the order asked',
  'answers any text asked for as a hash or a document id as unknown (quotes, backslashes, any Unicode)',
  'is idempotent: any sequence of appends with repeats holds each entry once',
  'reports the arrival number an append reached, when it does, as head() and scan() see it',
  'rejects a bad entry by itself and keeps the rest of the batch',
  'lists hashes in arrival order, overall and per document',
  "lists each document's history in arrival order, however the appends spread over documents",
  'stores every entry kind and names each one in its scan (attachment chunks too)',
  'findNewChanges is the set difference, in arrival order',
  'inArrivalOrder gives the held hashes asked for, in arrival order, whatever order they are asked in',
  'scans in arrival order, gap-free, for any page sizes',
  'resumes a scan from its cursor and sees later appends',
  'starts over when a cursor carries another epoch',
  'starts over when a cursor of its epoch is past its newest entry (a store restored from an older copy)',
  'fingerprints ranges consistently with the hashes they hold',
  'keeps fingerprints exact across appends that repeat held entries, however they are batched',
  'fingerprints many ranges together exactly as one at a time, in their order',
  'tells subscribers about new entries only',
  'keeps its own copy of appended bytes',
  'stores the bytes it was given at the call, whatever the caller does to them before the append settles',
  'hands out gap-free arrival numbers under concurrent appends',
  'fails with WEFT_CLOSED after close',
  'keeps range fingerprints equal to the fingerprint of the hashes in the range, after any appends',
  'keeps a cursor whose position check matches, and starts over one whose check names another entry',
  'starts a cursor over on a store restored from an older copy that has since grown past it',
  'keeps entries, order and epoch across close and reopen, and continues numbering',
  'accepts bad signatures in one batch under a good tip by the same author (one signature check per chain)',
  'counts a vouch only from an entry that is authentic itself',
  'never vouches along a link to another author: that entry is verified on its own',
  'verifies bytes that are not the ones a voucher listed on their own',
  'authenticates an entry arriving after its voucher by its hash alone',
  'refuses an entry arriving before its voucher, and accepts it when offered again after',
  'decides overlapping appends as it would the same appends one after another',
  'gives overlapping appends of any batching the outcome of the same appends in turn',
  'holds the same set whatever the batching and order of delivery (sync re-offering what it lacks)',
]

const pageFile = (file: string): string => new URL(`./page/${file}`, import.meta.url).pathname
/**
 * The page runs the core suite as it is: its `vitest` import becomes vitest's own `expect` with a
 * small test collector, and its one use of Node's `Buffer` gets a byte comparison.
 */
const IDB_PAGE = {
  entry: pageFile('idbStorePage.ts'),
  bundle: {
    replace: { vitest: pageFile('vitestInPage.ts') },
    provide: [
      { files: /conformance[\\/]runChangeStoreTests\.ts$/, name: 'Buffer', from: pageFile('bufferForSuite.ts') },
    ],
  },
}

describe('IdbChangeStore in Chromium', () => {
  let run: BrowserRun
  let page: Page
  let conformance: Map<string, TestResult>

  beforeAll(async () => {
    run = await startBrowserRun({ idb: IDB_PAGE })
    try {
      page = await run.open('idb', () => globalThis.weftIdbPage !== undefined)
      const results = await page.evaluate(() => globalThis.weftIdbPage!.runConformance())
      conformance = new Map(results.map((r) => [r.name, r]))
    } catch (err) {
      await run.close()
      throw err
    }
  }, 90_000)

  afterAll(async () => {
    await run?.close()
  })

  describe('core conformance suite, run in the page', () => {
    it.each(CONFORMANCE_TESTS)('%s', (name) => {
      const result = conformance.get(name)
      expect(result, `the page did not run "${name}"`).toBeDefined()
      if (!result!.ok) throw new Error(`in the page: ${result!.error}`)
    })

    it('ran no test that is not listed here', () => {
      const unlisted = [...conformance.keys()].filter((n) => !CONFORMANCE_TESTS.includes(n))
      expect(unlisted, 'the core suite gained tests: add their names to CONFORMANCE_TESTS').toEqual([])
    })
  })

  it('keeps entries, their order and epoch across a page reload', async () => {
    const written = await page.evaluate(() => globalThis.weftIdbPage!.writeEntries('reload', 'tenant/db', 25))
    expect(written.head.seq).toBe(25)
    await run.reload(page, () => globalThis.weftIdbPage !== undefined)
    const read = await page.evaluate(() => globalThis.weftIdbPage!.readEntries('reload', 'tenant/db'))
    expect(read.hashes).toEqual(written.hashes)
    expect(read.head).toEqual(written.head)
    expect(read.verified).toBe(25)
    await page.evaluate(() => globalThis.weftIdbPage!.dispose(['reload']))
  })

  it.each([1, 2] as const)(
    'upgrades a version %i database in place: same entries, order, documents and fingerprints',
    async (version) => {
      const database = `upgrade-v${version}`
      const r = await page.evaluate(([d, v]) => globalThis.weftIdbPage!.upgradeOldLayout(d, v, 2_500), [
        database,
        version,
      ] as const)
      expect(r.scanned).toEqual(r.written)
      expect(r.seqs).toEqual(r.written.map((_, i) => i + 1))
      expect(r.head).toEqual({ epoch: 'e1', seq: 2_500, count: 2_500 })
      expect(r.docsMatching).toBe(r.docs)
      expect(r.fingerprintsMatching).toBe(r.ranges)
      expect(r.nextSeq).toBe(2_501)
      await page.evaluate((d) => globalThis.weftIdbPage!.dispose([d]), database)
    },
  )

  describe('two tabs on one database', () => {
    let other: Page

    beforeAll(async () => {
      other = await run.open('idb', () => globalThis.weftIdbPage !== undefined)
    })
    afterAll(async () => {
      await other?.evaluate(() => globalThis.weftIdbPage!.dispose(['tabs-store', 'tabs-tenant'])).catch(() => undefined)
      await other?.close()
    })

    it("tell each other's store subscribers about new entries", async () => {
      await other.evaluate(() => globalThis.weftIdbPage!.listen('tabs-store', 'tenant/db'))
      const written = await page.evaluate(() => globalThis.weftIdbPage!.writeEntries('tabs-store', 'tenant/db', 7))
      await other.waitForFunction((n) => globalThis.weftIdbPage!.heard().then((h) => h.hashes.length >= n), 7, {
        timeout: 10_000,
      })
      const heard = await other.evaluate(() => globalThis.weftIdbPage!.heard())
      expect(heard.hashes).toEqual(written.hashes)
      expect(heard.readable).toBe(7)
      // The other tab appends next: its numbers continue after the first tab's, with no collision.
      const after = await other.evaluate(() => globalThis.weftIdbPage!.writeEntries('tabs-store', 'tenant/db', 3))
      expect(after.head.seq).toBe(10)
      expect(after.hashes.slice(0, 7)).toEqual(written.hashes)
    })

    it('show a document written in one tab in the other without a reload', async () => {
      await page.evaluate(() => globalThis.weftIdbPage!.openTenant('tabs-tenant', 'acme', true))
      await other.evaluate(() => globalThis.weftIdbPage!.openTenant('tabs-tenant', 'acme', false))
      const id = await page.evaluate(() => globalThis.weftIdbPage!.createDocument({ title: 'written in tab one' }))
      const data = await other.evaluate((docId) => globalThis.weftIdbPage!.waitForDocument(docId, 10_000), id)
      expect(data).toEqual({ title: 'written in tab one' })
      const back = await other.evaluate(() => globalThis.weftIdbPage!.createDocument({ title: 'and one from tab two' }))
      expect(await page.evaluate((docId) => globalThis.weftIdbPage!.waitForDocument(docId, 10_000), back)).toEqual({
        title: 'and one from tab two',
      })
      await page.evaluate(() => globalThis.weftIdbPage!.dispose([]))
    })
  })

  describe('failed appends', () => {
    it('a QuotaExceededError thrown by IndexedDB becomes WEFT_QUOTA_EXCEEDED, with nothing of the batch kept', async () => {
      const r = await page.evaluate(() => globalThis.weftIdbPage!.failWithThrownQuotaError('thrown-quota'))
      expect(r.code).toBe(ErrorCodes.QUOTA_EXCEEDED)
      expect(r.keptOfFailedBatch).toBe(0)
      expect(r.after).toEqual(r.before)
      expect(r.readable).toBe(3)
      expect(r.retried).toBe(true)
      await page.evaluate(() => globalThis.weftIdbPage!.dispose(['thrown-quota']))
    })

    it('an aborted transaction becomes WEFT_STORAGE_ERROR, with nothing of the batch kept', async () => {
      const r = await page.evaluate(() => globalThis.weftIdbPage!.failWithAbortedTransaction('aborted'))
      expect(r.code).toBe(ErrorCodes.STORAGE_ERROR)
      expect(r.keptOfFailedBatch).toBe(0)
      expect(r.after).toEqual(r.before)
      expect(r.readable).toBe(3)
      expect(r.retried).toBe(true)
      await page.evaluate(() => globalThis.weftIdbPage!.dispose(['aborted']))
    })

    it("the browser's own quota refusal becomes WEFT_QUOTA_EXCEEDED, with nothing of the batch kept", async () => {
      // Chromium applies a quota override only to an origin whose IndexedDB is not in use yet, so
      // this runs in a fresh context (its own storage) with the override set before the page writes.
      const context = await run.browser.newContext()
      try {
        // The override lasts as long as the DevTools session of the page it was sent through.
        const quotaPage = await context.newPage()
        const cdp = await context.newCDPSession(quotaPage)
        await cdp.send('Storage.overrideQuotaForOrigin', { origin: run.origin, quotaSize: 2 * 1024 * 1024 })
        await run.goto(quotaPage, 'idb', () => globalThis.weftIdbPage !== undefined)
        const r = await quotaPage.evaluate(() =>
          globalThis.weftIdbPage!.fillUntilQuota('real-quota', 128 * 1024, 8, 20),
        )
        expect(r.code).toBe(ErrorCodes.QUOTA_EXCEEDED)
        expect(r.batchesBeforeFailure).toBeGreaterThan(0)
        expect(r.keptOfFailedBatch).toBe(0)
        expect(r.after).toEqual(r.before)
        expect(r.readable).toBe(r.before.hashes.length)
      } finally {
        await context.close()
      }
    })
  })

  it('raised no uncaught error in any page', () => {
    expect(run.pageErrors).toEqual([])
  })
})
