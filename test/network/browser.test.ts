import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryStoreFactory, ready, TenantFactory, TEST_KDF, generateSigningKeyPair } from '@weft/core'
import { toBase64Url } from '@weft/core/backend'
import { LiveSync, registerMembers, RemoteChangeStore, ServerConnection } from '@weft/client'
import { WeftServer } from '@weft/server'
import { WebSocket } from 'ws'
import { contents, eventually } from './helpers/devices.ts'
import { launchChromium } from '../browser/helpers/launchChromium.ts'

let server: WeftServer
let page: Server
let browser: Browser

/** Bundles the browser app with esbuild and serves it from this test's own HTTP server. */
async function servePage(): Promise<Server> {
  const out = await build({
    entryPoints: [fileURLToPath(new URL('./browser/app.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['webpack'], // Automerge's build with its WebAssembly inlined
    external: ['fs', 'path', 'crypto', 'node:*', 'ws'],
    write: false,
    logLevel: 'silent',
  })
  const js = out.outputFiles[0]!.contents
  const html = '<!doctype html><meta charset="utf-8"><title>weft</title><script type="module" src="/app.js"></script>'
  const s = createServer((req, res) => {
    if (req.url === '/app.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js)
    else res.writeHead(200, { 'content-type': 'text/html' }).end(html)
  })
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  return s
}

beforeAll(async () => {
  await ready()
  server = await WeftServer.start()
  page = await servePage()
  browser = await launchChromium()
}, 120_000)
afterAll(async () => {
  await browser?.close()
  page?.close()
  await server?.close()
})

describe('a browser client', () => {
  it('syncs with a Node client through the server, both ways, live', async () => {
    // The Node device creates the tenant; the browser opens the same tenant from its sealed record.
    const storeFactory = new MemoryStoreFactory()
    const tenantId = 'browser-org'
    const tenant = await new TenantFactory({ storeFactory, kdf: TEST_KDF }).createTenant({ tenantId, password: 'pw' })
    const record = (await (await storeFactory.openKeyValueStore('weft-tenants')).get(`tenant/${tenantId}`))!
    const admin = generateSigningKeyPair()
    const nodeKey = generateSigningKeyPair()
    const browserKey = generateSigningKeyPair()
    await registerMembers({
      url: server.url,
      tenant: tenantId,
      admin,
      seq: 1,
      add: [tenant.signingKey, nodeKey.publicKey, browserKey.publicKey],
    })
    const db = await tenant.openDB('notes')
    const nodeLive = new LiveSync({
      local: db,
      remote: new RemoteChangeStore({
        connection: new ServerConnection({ url: server.url, tenant: tenantId, key: nodeKey }),
        db: 'notes',
      }),
      webSocket: WebSocket,
    })
    nodeLive.start()
    const before = await db.createDocument({ data: { from: 'node', n: 1 } })

    const tab = await browser.newPage()
    const errors: string[] = []
    tab.on('pageerror', (e) => errors.push(String(e)))
    await tab.goto(`http://127.0.0.1:${(page.address() as AddressInfo).port}/`)
    await tab.waitForFunction(() => 'weft' in globalThis)
    await tab.evaluate((s) => (globalThis as unknown as { weft: { start(s: unknown): Promise<void> } }).weft.start(s), {
      url: server.url,
      tenantId,
      password: 'pw',
      record: toBase64Url(record),
      publicKey: toBase64Url(browserKey.publicKey),
      privateKey: toBase64Url(browserKey.privateKey),
    })
    type W = {
      weft: {
        write(d: unknown): Promise<string>
        contents(): Promise<Record<string, unknown>>
        status(): { state: string }
      }
    }
    const browserContents = () => tab.evaluate(() => (globalThis as unknown as W).weft.contents())
    expect(Object.keys(await browserContents())).toContain(before.getId())
    const fromBrowser = await tab.evaluate(() => (globalThis as unknown as W).weft.write({ from: 'browser' }))
    await eventually(
      async () => (await db.getDocument(fromBrowser)) !== undefined,
      15_000,
      'browser entry at the Node client',
    )
    await db.changeDoc(before, (d) => void (d.getData().n = 2))
    await eventually(
      async () => JSON.stringify(await browserContents()) === JSON.stringify(await contents(db)),
      15_000,
      'convergence',
    )
    expect((await browserContents())[before.getId()]).toEqual({ from: 'node', n: 2 })
    expect(await tab.evaluate(() => (globalThis as unknown as W).weft.status().state)).toBe('up-to-date')
    expect(errors).toEqual([])
    await nodeLive.stop()
  })
})
