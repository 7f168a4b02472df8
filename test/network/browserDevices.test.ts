import { isDeepStrictEqual } from 'node:util'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ready } from '@weft/core/backend'
import { WeftServer } from '@weft/server'
import { eventually } from './helpers/devices.ts'
import { startBrowserRun, type BrowserRun } from '../browser/helpers/browserRun.ts'

// Two devices of one tenant in two Chromium browser contexts (each its own IndexedDB), the second
// joined by a join request, syncing live through a relay server on loopback.
const DBS = ['_directory', 'notes']
const PASSWORD = 'device password'
let server: WeftServer
let run: BrowserRun

beforeAll(async () => {
  await ready()
  server = await WeftServer.start()
  run = await startBrowserRun({ device: { entry: new URL('./browser/deviceApp.ts', import.meta.url).pathname } })
}, 120_000)
afterAll(async () => {
  await run?.close()
  await server?.close()
})

type Weft = {
  weft: { init(url: string, name: string): Promise<void>; call(cmd: string, args: unknown): Promise<unknown> }
}

/** A device page: `call` runs one of its commands in the page. */
async function devicePage(context: BrowserContext, name: string) {
  const page: Page = await run.open('device', () => 'weft' in globalThis, { context })
  await page.evaluate(([url, n]) => (globalThis as unknown as Weft).weft.init(url!, n!), [server.url, name])
  const call = <T = unknown>(cmd: string, args: Record<string, unknown> = {}) =>
    page.evaluate(([c, a]) => (globalThis as unknown as Weft).weft.call(c as string, a), [
      cmd,
      args,
    ] as const) as Promise<T>
  return { page, context, call }
}

type Contents = Record<string, Record<string, unknown>>

describe('two devices in two Chromium pages through a relay', () => {
  it('join, sync live, edit offline, reconnect and converge', async () => {
    const tenantId = 'acme-browsers'
    const one = await devicePage(run.context, 'weft-device')
    const two = await devicePage(await run.browser.newContext(), 'weft-device') // the same IndexedDB name: the contexts keep them apart
    const { deviceId: oneId } = await one.call<{ deviceId: string }>('create', { tenantId, password: PASSWORD })
    await one.call('admit', { deviceIds: [oneId] })
    const { request, deviceId: twoId } = await two.call<{ request: string; deviceId: string }>('request', {
      tenantId,
      userName: 'Ann',
      password: PASSWORD,
    })
    const { response } = await one.call<{ response: string }>('approve', { request, role: 'writer' })
    await one.call('admit', { deviceIds: [twoId] })
    expect(await two.call('join', { request, response, password: PASSWORD })).toEqual({ deviceId: twoId })

    await one.call('online', { dbs: DBS })
    await two.call('online', { dbs: DBS })
    await Promise.all([one.call('whenReady'), two.call('whenReady')])
    const contents = (d: typeof one) => d.call<Contents>('contents', { db: 'notes' })
    const plan = await one.call<string>('createDoc', { db: 'notes', data: { title: 'Plan' } })
    await eventually(async () => (await contents(two))[plan]?.title === 'Plan', 15_000, 'live delivery')

    // Offline: the sockets close and the contexts lose the network; each page edits on its own.
    for (const d of [one, two]) {
      await d.call('offline')
      await d.context.setOffline(true)
    }
    await one.call('set', { db: 'notes', docId: plan, fields: { budget: 100 } })
    await two.call('set', { db: 'notes', docId: plan, fields: { owner: 'Ann' } })
    const fromTwo = await two.call<string>('createDoc', { db: 'notes', data: { by: 'two' } })
    expect((await contents(one))[fromTwo]).toBeUndefined()

    for (const d of [one, two]) {
      await d.context.setOffline(false)
      await d.call('online', { dbs: DBS })
    }
    await Promise.all([one.call('whenReady'), two.call('whenReady')])
    await eventually(async () => isDeepStrictEqual(await contents(one), await contents(two)), 15_000, 'convergence')
    const merged = await contents(one)
    expect(merged[plan]).toEqual({ title: 'Plan', budget: 100, owner: 'Ann' })
    expect(merged[fromTwo]).toEqual({ by: 'two' })
    expect(await one.call('status')).toEqual({ _directory: 'up-to-date', notes: 'up-to-date' })
    expect(run.pageErrors).toEqual([])
    await two.context.close()
  })
})
