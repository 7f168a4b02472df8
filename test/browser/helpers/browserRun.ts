import type { Browser, BrowserContext, Page } from 'playwright-core'
import { bundleForBrowser, type BundleOptions } from './bundle.ts'
import { launchChromium } from './launchChromium.ts'
import { HTML, JS, modulePage, servePages, type PageFile, type PageServer } from './pageServer.ts'

/** A page to serve: an HTML file and the TypeScript entry bundled for it. */
export interface PageSpec {
  /** Entry bundled to `/<name>.js`. */
  readonly entry: string
  /** The HTML served at `/<name>.html`; default: a page that loads only the bundle. */
  readonly html?: string
  readonly bundle?: BundleOptions
  /** The page's JavaScript, built by the caller instead of bundling `entry` here. */
  readonly js?: () => Promise<string>
}

/** One Chromium, one local server, one browser context (so pages share an origin and storage). */
export interface BrowserRun {
  readonly origin: string
  readonly browser: Browser
  readonly context: BrowserContext
  /**
   * Opens `/<name>.html` in a new tab of the shared context (or of `options.context`) and waits
   * until `ready()` is true in the page (a page error or a timeout fails with the page's errors in
   * the message).
   */
  open(name: string, ready: () => unknown, options?: { context?: BrowserContext }): Promise<Page>
  /** Navigates an existing tab to `/<name>.html` and waits for `ready()`. */
  goto(page: Page, name: string, ready: () => unknown): Promise<void>
  /** Reloads `page` and waits for `ready()` again. */
  reload(page: Page, ready: () => unknown): Promise<void>
  /** Uncaught page errors and console errors seen so far, oldest first. */
  readonly pageErrors: string[]
  /** Closes the browser and the server; safe to call more than once. */
  close(): Promise<void>
}

/**
 * Bundles the pages, serves them on 127.0.0.1 and launches Chromium. If any step fails, whatever
 * was started is stopped before the error is rethrown.
 */
export async function startBrowserRun(pages: Readonly<Record<string, PageSpec>>): Promise<BrowserRun> {
  const files: Record<string, PageFile> = {}
  await Promise.all(
    Object.entries(pages).map(async ([name, spec]) => {
      files[`/${name}.js`] = { body: await (spec.js ? spec.js() : bundleForBrowser(spec.entry, spec.bundle)), type: JS }
      files[`/${name}.html`] = { body: spec.html ?? modulePage(`/${name}.js`, name), type: HTML }
    }),
  )
  let server: PageServer | undefined
  let browser: Browser | undefined
  try {
    server = await servePages(files)
    browser = await launchChromium()
    const context = await browser.newContext()
    const pageErrors: string[] = []
    const origin = server.origin
    let closed = false
    const run: BrowserRun = {
      origin,
      browser,
      context,
      pageErrors,
      async open(name, ready, options = {}) {
        const page = await (options.context ?? context).newPage()
        await run.goto(page, name, ready)
        return page
      },
      async goto(page, name, ready) {
        page.on('pageerror', (err) => pageErrors.push(`${name}: ${err.message}`))
        page.on('console', (msg) => msg.type() === 'error' && pageErrors.push(`${name} console: ${msg.text()}`))
        await page.goto(`${origin}/${name}.html`)
        await whenReady(page, ready, pageErrors)
      },
      async reload(page, ready) {
        await page.reload()
        await whenReady(page, ready, pageErrors)
      },
      async close() {
        if (closed) return
        closed = true
        await stop(browser, server)
      },
    }
    return run
  } catch (err) {
    await stop(browser, server)
    throw err
  }
}

const READY_TIMEOUT_MS = 30_000

async function whenReady(page: Page, ready: () => unknown, pageErrors: readonly string[]): Promise<void> {
  // Stop waiting at the first uncaught page error rather than at the timeout.
  const crashed = page.waitForEvent('pageerror', { timeout: READY_TIMEOUT_MS }).then(
    (err) => Promise.reject(err),
    () => new Promise<never>(() => undefined),
  )
  try {
    await Promise.race([page.waitForFunction(ready, null, { timeout: READY_TIMEOUT_MS, polling: 50 }), crashed])
  } catch (err) {
    const errors = pageErrors.length ? `; page errors:\n${pageErrors.join('\n')}` : ''
    throw new Error(`${page.url()} did not get ready${errors}`, { cause: err })
  }
}

async function stop(browser: Browser | undefined, server: PageServer | undefined): Promise<void> {
  await Promise.allSettled([browser?.close(), server?.close()])
}
