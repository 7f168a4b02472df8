import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBrowserRun, type BrowserRun } from './helpers/browserRun.ts'
import type { AttachmentsPageResult } from './page/attachmentsPage.ts'

const pageFile = (file: string): string => new URL(`./page/${file}`, import.meta.url).pathname

/** Attachments in Chromium on IndexedDB: the chunker, web streams and lazy fetching run in a browser as in Node. */
describe('attachments in Chromium', () => {
  let run: BrowserRun
  let result: AttachmentsPageResult

  beforeAll(async () => {
    run = await startBrowserRun({ attachments: { entry: pageFile('attachmentsPage.ts') } })
    try {
      const page = await run.open('attachments', () => globalThis.weftAttachmentsPage !== undefined)
      result = await page.evaluate(() => globalThis.weftAttachmentsPage!.run())
    } catch (err) {
      await run.close()
      throw err
    }
  }, 120_000)

  afterAll(async () => {
    await run?.close()
  })

  it('writes from a web stream and reads back whole and by range', () => {
    expect(result.size).toBe(1_500_000)
    expect(result.chunks).toBeGreaterThan(5)
    expect(result.wholeMatches).toBe(true)
    expect(result.rangeMatches).toBe(true)
  })

  it('pulls lazily without chunks and fetches them on first read', () => {
    expect(result.lazyChunksAfterPull).toBe(0)
    expect(result.lazyReadMatches).toBe(true)
    expect(result.lazyChunksAfterRead).toBe(result.chunks)
    expect(run.pageErrors).toEqual([])
  })
})
