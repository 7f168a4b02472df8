import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ED25519_VECTORS } from '../../packages/core/test/fixtures/ed25519Vectors.ts'
import { startBrowserRun, type BrowserRun } from './helpers/browserRun.ts'
import type { Ed25519PageVerdict } from './page/ed25519Page.ts'

const pageFile = (file: string): string => new URL(`./page/${file}`, import.meta.url).pathname

/** The edge-case vectors in Chromium: its WebCrypto, under Weft's one rule, agrees with libsodium. */
describe('Ed25519 edge cases in Chromium', () => {
  let run: BrowserRun
  let verdicts: Map<string, Ed25519PageVerdict>

  beforeAll(async () => {
    run = await startBrowserRun({ ed25519: { entry: pageFile('ed25519Page.ts') } })
    try {
      const page = await run.open('ed25519', () => globalThis.weftEd25519Page !== undefined)
      const results = await page.evaluate(() => globalThis.weftEd25519Page!.run())
      verdicts = new Map(results.map((r) => [r.name, r]))
    } catch (err) {
      await run.close()
      throw err
    }
  }, 90_000)

  afterAll(async () => {
    await run?.close()
  })

  it.each(ED25519_VECTORS.map((v) => [v.name, v.valid] as const))('%s: valid = %s in both verifiers', (name, valid) => {
    const v = verdicts.get(name)
    expect(v, `the page did not check "${name}"`).toBeDefined()
    expect({ sync: v!.sync, async: v!.async }).toEqual({ sync: valid, async: valid })
  })

  it('runs the browser WebCrypto, which alone accepts what the rule refuses', () => {
    const alone = [...verdicts.values()].map((v) => v.webCryptoAlone)
    expect(alone).not.toContain('unsupported')
    expect(verdicts.get('weft: genuine signature')!.webCryptoAlone).toBe(true)
    // The identity R: BoringSSL's cofactorless check holds, so only the rule refuses it.
    expect(verdicts.get('weft: R = identity (small order), S = H·a — WebCrypto alone accepts')!.webCryptoAlone).toBe(
      true,
    )
  })
})
