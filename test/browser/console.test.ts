import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  MemoryStoreFactory,
  MultiTenantSyncOrchestrator,
  TenantFactory,
  TEST_KDF,
  type Database,
  type Tenant,
} from '@weft/core'
import { ready, toBase64Url } from '@weft/core/backend'
import { registerMembers, RemoteChangeStore, ServerConnection, StatusPublisher } from '@weft/client'
import { WeftServer } from '@weft/server'
import { LevelStoreFactory } from '@weft/store-level'
import { buildConsole } from '../../packages/server/console/build.ts'
import { launchChromium } from './helpers/launchChromium.ts'

// The web console in real Chromium, served by a real server on loopback (LevelDB storage): a tenant
// admin signs in with a device key made in the browser, watches a relationship fall behind and
// catch up live, sees a tampered audit record flagged; an operator lists the tenants.

/** Where a failing step leaves its screenshot (ignored by git). */
const SHOTS = join(process.cwd(), '.test-screenshots', 'console')
const PASSWORD = 'console device password'

let dir: string
let server: WeftServer
let browser: Browser
let apiKey: string
let acme: Tenant
let acmeStorage: MemoryStoreFactory
let orders: Database
let orchestrator: MultiTenantSyncOrchestrator
let publisher: StatusPublisher
let host: ServerConnection
let grantId: string
const pageErrors: string[] = []

/** Runs a step; on failure saves the page's screenshot under SHOTS/<name>.png and rethrows. */
async function step<T>(page: Page, name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (err) {
    await mkdir(SHOTS, { recursive: true })
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true }).catch(() => {})
    throw new Error(`${name} failed (screenshot in ${SHOTS}); page errors: ${pageErrors.join(' | ') || 'none'}`, {
      cause: err,
    })
  }
}

const push = async (db: Database, name: string) =>
  db.pushChangesTo(new RemoteChangeStore({ connection: host, db: name }))

beforeAll(async () => {
  await ready()
  dir = await mkdtemp(join(tmpdir(), 'weft-console-'))
  await buildConsole(join(dir, 'console'), { minify: false })
  server = await WeftServer.start({
    storeFactory: new LevelStoreFactory({ path: join(dir, 'server') }),
    console: { dir: join(dir, 'console') },
  })
  apiKey = (await server.tenancy.keys.create('ops', ['admin:tenants'])).key
  browser = await launchChromium()

  // The host: acme's first device, running an orchestrator to a partner and publishing its status.
  acmeStorage = new MemoryStoreFactory()
  acme = await new TenantFactory({ storeFactory: acmeStorage, kdf: TEST_KDF }).createTenant({
    tenantId: 'acme',
    password: 'host password',
  })
  await registerMembers({ url: server.url, tenant: 'acme', admin: acme.serverSigner() })
  host = new ServerConnection({ url: server.url, tenant: 'acme', key: acme.serverSigner() })
  const globex = await new TenantFactory({ kdf: TEST_KDF }).createTenant({ tenantId: 'globex', password: 'g' })
  await acme.keyBag.generateKey('orders-key')
  orders = await acme.openDB('orders', { keyId: 'orders-key' })
  for (let i = 0; i < 3; i++) await orders.createDocument({ data: { n: i } })
  const offer = await acme.sharing.share({
    partner: globex.publicProfile(),
    databases: ['orders'],
    keys: ['orders-key'],
    permissions: ['read'],
  })
  await globex.sharing.accept(offer)
  grantId = offer.grant.id
  orchestrator = new MultiTenantSyncOrchestrator()
  await orchestrator.addRelationship('acme-globex', acme, globex, ['orders'], {
    direction: 'push',
    grantId: offer.grant.id,
  })
  await orchestrator.syncAll()
  await push(orders, 'orders')
  publisher = new StatusPublisher({
    tenant: acme,
    orchestrator,
    remote: new RemoteChangeStore({ connection: host, db: '_status' }),
    host: 'node-1',
  })
  await publisher.publish()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

async function openConsole(): Promise<Page> {
  const page = await (await browser.newContext()).newPage()
  page.on('pageerror', (e) => pageErrors.push(e.message))
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()))
  await page.goto(`${server.url}/console`)
  await page.waitForSelector('body[data-ready="yes"]', { timeout: 30_000 })
  return page
}

describe('the web console in Chromium', () => {
  it('serves the console with a strict Content-Security-Policy and no inline script', async () => {
    const res = await fetch(`${server.url}/console/`)
    expect(res.status).toBe(200)
    const csp = res.headers.get('content-security-policy')!
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'")
    expect(csp).not.toContain('unsafe-inline')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    const html = await res.text()
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    expect(html).not.toMatch(/\son[a-z]+=/)
    expect(html).not.toContain('<style')
  })

  it('signs in with a device key made in the browser; a relationship falls behind and catches up live; a tampered audit record is flagged', async () => {
    const page = await openConsole()
    const sent: Buffer[] = []
    page.on('request', (r) => sent.push(Buffer.from(r.url()), r.postDataBuffer() ?? Buffer.alloc(0)))
    await step(page, 'join', async () => {
      await page.getByLabel('Tenant id').fill('acme')
      await page.getByLabel('Password for this browser').fill(PASSWORD)
      await page.getByRole('button', { name: 'Make a join request' }).click()
      await page.waitForFunction(() => (document.getElementById('join-request') as HTMLTextAreaElement).value !== '')
      const request = await page.locator('#join-request').inputValue()
      const response = await acme.approveJoinRequest(request, { role: 'admin' })
      await push(await acme.openDB('_directory'), '_directory') // the server admits the new device from it
      await page.getByLabel('Approval (paste the answer here)').fill(JSON.stringify(response))
      await page.getByRole('button', { name: 'Join and sign in' }).click()
      await page.getByText('Up to date, following live.').waitFor({ timeout: 30_000 })
    })
    // The password never went to the server: it is nowhere in what the page sent.
    expect(sent.length).toBeGreaterThan(3)
    expect(sent.filter((b) => b.includes(PASSWORD))).toEqual([])
    await step(page, 'overview', async () => {
      await expect.poll(() => page.locator('[data-db="orders"] td').nth(1).textContent(), { timeout: 20_000 }).toBe('3')
      await expect.poll(() => page.getByTestId('behind-acme-globex-orders-push').textContent()).toBe('0')
      expect(await page.getByTestId('members').textContent()).toContain('this browser')
      expect(await page.getByTestId('grants').textContent()).toContain('active')
      await expect.poll(() => page.getByTestId('quota').textContent()).toMatch(/Entries\d+ \/ \d+/)
      expect(await page.getByTestId('audit-status').getAttribute('data-state')).toBe('verified')
    })
    await step(page, 'falls-behind', async () => {
      for (let i = 0; i < 5; i++) await orders.createDocument({ data: { late: i } })
      await publisher.publish()
      await expect
        .poll(() => page.getByTestId('behind-acme-globex-orders-push').textContent(), { timeout: 20_000 })
        .toBe('5')
    })
    await step(page, 'catches-up', async () => {
      await orchestrator.syncAll()
      await push(orders, 'orders')
      await publisher.publish()
      await expect
        .poll(() => page.getByTestId('behind-acme-globex-orders-push').textContent(), { timeout: 20_000 })
        .toBe('0')
      await expect.poll(() => page.locator('[data-db="orders"] td').nth(1).textContent(), { timeout: 20_000 }).toBe('8')
    })
    await step(page, 'error', async () => {
      // The grant ends: the next round is refused, and the console shows why and when it runs again.
      await acme.sharing.revoke(grantId)
      await orders.createDocument({ data: { after: 'revoke' } })
      const r = await orchestrator.syncAll()
      expect(r.failed).toHaveLength(1)
      await publisher.publish()
      const rel = page.locator('[data-testid="relationships"] tr[data-relationship="acme-globex"]')
      await expect.poll(() => rel.textContent(), { timeout: 20_000 }).toContain(r.failed[0]!.error.code)
      expect(await rel.textContent()).toContain('1 failed')
      expect(await page.getByTestId('behind-acme-globex-orders-push').textContent()).toBe('1')
      await expect.poll(() => page.getByTestId('grants').textContent()).toContain('revoked')
    })
    await step(page, 'tampered', async () => {
      // Someone with the host's disk rewrites a byte of the first audit record.
      const kv = await acmeStorage.openKeyValueStore('weft-audit')
      const key = (await kv.keys('acme/r/'))[0]!
      const bytes = new Uint8Array((await kv.get(key))!)
      bytes[bytes.length - 10]! ^= 1
      await kv.put(key, bytes)
      await publisher.publish()
      await expect
        .poll(() => page.getByTestId('audit-status').getAttribute('data-state'), { timeout: 20_000 })
        .toBe('tampered')
      expect(await page.getByTestId('audit-status').textContent()).toContain('Record 0 is altered')
      await expect(page.locator('tr.flagged[data-seq="0"]').count()).resolves.toBe(1)
    })
    await step(page, 'phone-width', async () => {
      await page.setViewportSize({ width: 375, height: 740 })
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375)
    })
    expect(pageErrors).toEqual([])
    await page.context().close()
  })

  it("at phone width, with the keyboard only, an operator with an admin API key sees the tenants, their usage and live connections, and a tenant's members", async () => {
    const page = await openConsole()
    await page.setViewportSize({ width: 375, height: 740 })
    await step(page, 'operator', async () => {
      // Tab through the sign-in forms to the API key; every control on the way has a name.
      for (let i = 0; i < 20; i++) {
        await page.keyboard.press('Tab')
        const focused = await page.evaluate(() => {
          const e = document.activeElement as HTMLElement
          return { id: e.id, name: e.getAttribute('aria-label') ?? e.closest('label')?.textContent ?? e.textContent }
        })
        expect(focused.name?.trim(), JSON.stringify(focused)).toBeTruthy()
        if (focused.id === 'api-key') break
      }
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('api-key')
      await page.keyboard.type(apiKey)
      await page.keyboard.press('Enter')
      const row = page.locator('[data-testid="tenants"] tr[data-tenant="acme"]')
      await row.waitFor({ timeout: 20_000 })
      expect(await row.textContent()).toContain('acme')
      expect(await page.getByTestId('operator-live').textContent()).toMatch(/^\d+ tenants, \d+ live connections/)
      expect(await row.locator('td').nth(7).textContent()).toMatch(/^\d+$/)
      // The tenant's members: its device keys, the admin's among them, active.
      await row.getByRole('button', { name: 'Members of acme' }).click()
      const admin = page.locator(`[data-testid="members"] tr[data-key="${toBase64Url(acme.serverSigner().publicKey)}"]`)
      await admin.waitFor({ timeout: 20_000 })
      expect(await admin.textContent()).toMatch(/active.*admin/)
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('members-h')
      // Nothing wider than the phone but the tables, which scroll in their own box.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375)
      // Signing out reloads the page: the key is gone with it.
      await page.getByRole('button', { name: 'Sign out' }).click()
      await page.waitForSelector('body[data-ready="yes"]', { timeout: 30_000 })
      expect(await page.getByLabel('API key', { exact: true }).inputValue()).toBe('')
      expect(await page.getByTestId('tenants').count()).toBe(0)
    })
    await step(page, 'operator-refused', async () => {
      const other = await openConsole()
      await other.getByLabel('API key', { exact: true }).fill('weft_not-a-key')
      await other.getByRole('button', { name: 'Show tenants' }).click()
      await other.getByText('WEFT_UNAUTHORIZED').waitFor({ timeout: 20_000 })
      await other.context().close()
    })
    await page.context().close()
  })
})
