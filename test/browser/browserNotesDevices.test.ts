import { readFile } from 'node:fs/promises'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ready } from '@weft/core/backend'
import { WeftServer } from '@weft/server'
import { buildNotesPage, withRelay } from '../../examples/browser-notes/build.ts'
import { startBrowserRun, type BrowserRun } from './helpers/browserRun.ts'

const example = (file: string): string => new URL(`../../examples/browser-notes/${file}`, import.meta.url).pathname
const locked = () => document.getElementById('status')?.dataset.state === 'locked'
const T = { timeout: 20_000 }

/** The notes example on two devices (two browser contexts, each its own IndexedDB) through a relay, driven through its pages. */
describe('examples/browser-notes: a second device joins and syncs through the relay', () => {
  let relay: WeftServer
  let run: BrowserRun

  beforeAll(async () => {
    await ready()
    relay = await WeftServer.start()
    const html = withRelay(await readFile(example('index.html'), 'utf8'), relay.url)
    run = await startBrowserRun({ main: { entry: example('main.ts'), js: buildNotesPage, html } })
  }, 60_000)
  afterAll(async () => {
    await run?.close()
    await relay?.close()
  })

  const notesOf = (page: Page) =>
    page.locator('#notes input.note').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value).sort())
  const addNote = async (page: Page, text: string) => {
    await page.locator('#new-note').fill(text)
    await page.locator('#new-note').press('Enter')
    await page.locator('#status[data-state="saved"]').waitFor(T)
  }
  const upToDate = (page: Page) => page.locator('#sync-status[data-state="up-to-date"]').waitFor(T)
  const selfId = (page: Page) => page.locator('#device-list li[data-self="true"]').getAttribute('data-device-id')
  const hereIds = (page: Page) =>
    page.locator('#here-list li').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.deviceId))

  it('a lone device syncs its notes to the relay; adds a device by join string, request and answer, which finds them with the first offline; both sync live, edit offline and converge; each shows its devices, its last sync and who is here', async () => {
    const one = await run.open('main', locked)
    const otherContext = await run.browser.newContext()
    const two = await run.open('main', locked, { context: otherContext })

    // Device 1 creates its notebook offline and writes a note; once online, alone, it syncs it to the relay.
    expect(await two.locator('#join').isVisible()).toBe(true)
    await run.context.setOffline(true)
    await one.locator('#password').fill('first device password')
    await one.locator('#password-confirm').fill('first device password')
    await one.locator('#unlock-button').click()
    await addNote(one, 'Written before the second device')
    expect(await one.locator('#sync-status').textContent()).toContain('not linked to the relay yet')
    await run.context.setOffline(false)
    await one.locator('#sync-status[data-view="up-to-date"]').waitFor(T) // nothing left to send
    // Then it goes offline: what device 2 finds of its notes, it finds on the relay.
    await run.context.setOffline(true)
    await one.locator('#sync-status[data-state="offline"]').waitFor(T)

    // "Add a device" (offline: the notebook is on the relay already): the join string to copy.
    await one.locator('#add-device').click()
    await one.locator('#add-flow').waitFor({ state: 'visible', ...T })
    const invite = await one.locator('#invite-text').inputValue()
    expect(invite).toMatch(/^weft:\/\/invite\//)

    // Device 2 pastes it and makes its request; device 1 approves it; device 2 pastes the answer.
    await two.locator('#invite').fill(invite)
    await two.locator('#join-password').fill('second device password')
    await two.locator('#join-request-button').click()
    await two.locator('#join-request').waitFor({ state: 'visible', ...T })
    const request = await two.locator('#request-text').inputValue()
    expect(request).toMatch(/^weft:\/\/join\//)
    await one.locator('#request').fill(request)
    await one.locator('#approve-button').click()
    await one.locator('#response-step').waitFor({ state: 'visible', ...T })
    await two.locator('#response').fill(await one.locator('#response-text').inputValue())
    await two.locator('#join-button').click()
    await two.locator('#notebook').waitFor({ state: 'visible', ...T })

    // Device 2 has device 1's note from the relay, device 1 still offline; both list both devices and a last sync time.
    await expect.poll(() => notesOf(two), T).toEqual(['Written before the second device'])
    await upToDate(two)
    await run.context.setOffline(false)
    await upToDate(one)
    for (const page of [one, two]) {
      await expect.poll(() => page.locator('#device-list li').count(), T).toBe(2)
      expect(Number(await page.locator('#last-sync').getAttribute('data-at'))).toBeGreaterThan(Date.now() - 60_000)
      expect(await page.locator('#device-list li[data-self="true"]').textContent()).toContain('online')
    }
    const oneId = await one.locator('#device-list li[data-self="true"]').getAttribute('data-device-id')
    await expect
      .poll(() => two.locator(`#device-list li[data-device-id="${oneId}"]`).textContent(), T)
      .toContain('last change')

    // Who is here: each lists the other, and sees which note the other is in.
    const twoId = await selfId(two)
    await expect.poll(() => hereIds(one), T).toEqual([twoId])
    await expect.poll(() => hereIds(two), T).toEqual([oneId])
    expect(await one.locator(`#device-list li[data-device-id="${twoId}"]`).getAttribute('data-here')).toBe('true')

    // Live: a note written on device 2 shows up on device 1 by itself.
    await addNote(two, 'From the second device')
    await expect.poll(() => notesOf(one), T).toEqual(['From the second device', 'Written before the second device'])
    await two.locator('#notes input.note').first().focus()
    await one.locator('#notes li[data-editing-by]').waitFor(T)
    expect(await one.locator('#here-list li').textContent()).toContain('editing')
    await two.locator('#new-note').focus()
    await expect.poll(() => one.locator('#notes li[data-editing-by]').count(), T).toBe(0)

    // Typed on device 1, saved as typed, shows on device 2 without leaving the field.
    const shared = one.locator('#notes li input.note').first()
    const sharedText = await shared.inputValue()
    expect(sharedText).toBe('Written before the second device')
    await shared.click()
    await shared.press('End')
    await shared.pressSequentially(' (typed)')
    await expect.poll(() => notesOf(two), T).toContain(`${sharedText} (typed)`)
    await one.locator('#new-note').focus()

    // Both offline: each adds a note and edits the shared one; back online, both converge.
    await run.context.setOffline(true)
    await otherContext.setOffline(true)
    for (const page of [one, two]) await page.locator('#sync-status[data-state="offline"]').waitFor(T)
    await expect.poll(() => one.locator('#here').getAttribute('data-count'), T).toBe('0')
    await addNote(one, 'Offline on device 1')
    await addNote(two, 'Offline on device 2')
    expect(await notesOf(one)).not.toContain('Offline on device 2')
    expect(await one.locator('#sync-status').textContent()).toMatch(/offline, \d+ changes? waiting/)
    expect(Number(await one.locator('#sync-status').getAttribute('data-pending'))).toBeGreaterThan(0)
    await run.context.setOffline(false)
    await otherContext.setOffline(false)
    const all = [
      'From the second device',
      'Offline on device 1',
      'Offline on device 2',
      'Written before the second device (typed)',
    ]
    await expect.poll(() => notesOf(one), T).toEqual(all)
    await expect.poll(() => notesOf(two), T).toEqual(all)
    await upToDate(one)
    await upToDate(two)
    expect(await one.locator('#sync-status').getAttribute('data-view')).toBe('up-to-date')
    // Back online, each sees the other here again.
    await expect.poll(() => hereIds(one), T).toEqual([twoId])
    await expect.poll(() => hereIds(two), T).toEqual([oneId])

    // After a reload, device 2 opens with its own password and syncs again by itself.
    await run.reload(two, locked)
    // The page that went said so: device 1 stops listing it at once, not after the 30 s timeout.
    await expect.poll(() => one.locator('#here').getAttribute('data-count'), T).toBe('0')
    expect(await two.locator('#join').isVisible()).toBe(false)
    await two.locator('#password').fill('second device password')
    await two.locator('#unlock-button').click()
    await upToDate(two)
    await expect.poll(() => hereIds(one), T).toEqual([twoId])
    await addNote(one, 'After the reload')
    await expect.poll(() => notesOf(two), T).toContain('After the reload')
    expect(run.pageErrors, run.pageErrors.join('\n')).toEqual([])
    await otherContext.close()
  })
})
