import { readFile } from 'node:fs/promises'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildNotesPage } from '../../examples/browser-notes/build.ts'
import { startBrowserRun, type BrowserRun } from './helpers/browserRun.ts'

const example = (file: string): string => new URL(`../../examples/browser-notes/${file}`, import.meta.url).pathname
const locked = () => document.getElementById('status')?.dataset.state === 'locked'
const PASSWORD = 'correct horse battery staple'

/** The offline notes example, driven through its page like a person would. */
describe('examples/browser-notes in Chromium', () => {
  let run: BrowserRun
  let page: Page

  const notes = () => page.locator('#notes input.note')
  const saved = () => page.locator('#status[data-state="saved"]').waitFor({ timeout: 20_000 })
  const unlockWith = async (password: string, confirm?: string) => {
    await page.locator('#password').fill(password)
    if (confirm !== undefined) await page.locator('#password-confirm').fill(confirm)
    await page.locator('#unlock-button').click()
  }

  beforeAll(async () => {
    // The page loads `./main.js`: serve it as `main.html` beside the bundle `main.js`.
    // Built as the example builds itself (examples/browser-notes/build.ts, what docs/browser.md says).
    run = await startBrowserRun({
      main: { entry: example('main.ts'), js: buildNotesPage, html: await readFile(example('index.html'), 'utf8') },
    })
    page = await run.open('main', locked).catch(async (err: unknown) => {
      await run.close()
      throw err
    })
  }, 60_000)

  afterAll(async () => {
    await run?.close()
  })

  it('creates a notebook (password typed twice), edits it offline as you type, and still has the notes after a reload', async () => {
    expect(await page.locator('#unlock-button').textContent()).toBe('Create notebook')
    // A typo in the repeated password creates nothing.
    await unlockWith(PASSWORD, PASSWORD + '!')
    await page.locator('#error', { hasText: 'The passwords do not match.' }).waitFor({ timeout: 20_000 })
    expect(await page.locator('#notebook').isVisible()).toBe(false)
    await unlockWith(PASSWORD, PASSWORD)
    await saved()
    expect(await page.locator('#notebook').isVisible()).toBe(true)

    await run.context.setOffline(true)
    for (const text of ['Buy oat milk', 'Call the plumber', 'Draft to delete']) {
      await page.locator('#new-note').fill(text)
      await page.locator('#new-note').press('Enter')
      await saved()
    }
    await expect
      .poll(() => notes().evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value)))
      .toEqual(['Buy oat milk', 'Call the plumber', 'Draft to delete'])
    // Saved as you type: no Enter, no leaving the field.
    await notes().first().click()
    await notes().first().press('End')
    await notes().first().pressSequentially(' and bread')
    await page.locator('#status[data-state="saving"]').waitFor({ timeout: 20_000 })
    await saved()
    expect(
      await notes()
        .first()
        .evaluate((e) => e === document.activeElement),
    ).toBe(true)
    await page.locator('#notes li').nth(2).getByRole('button', { name: 'Delete' }).click()
    await saved()
    await expect.poll(() => notes().count()).toBe(2)
    await run.context.setOffline(false)

    await run.reload(page, locked)
    expect(await page.locator('#unlock-button').textContent()).toBe('Open notebook')
    expect(await page.locator('#password-confirm').isVisible()).toBe(false)
    expect(await notes().count()).toBe(0)

    await unlockWith('not the password')
    await page.locator('#error', { hasText: 'Wrong password.' }).waitFor({ timeout: 20_000 })
    expect(await notes().count()).toBe(0)

    await unlockWith(PASSWORD)
    await saved()
    expect(await notes().evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))).toEqual([
      'Buy oat milk and bread',
      'Call the plumber',
    ])
    expect(run.pageErrors).toEqual([])
  })

  it('starts over: after a second click the notebook is erased from this browser and a new one can be made', async () => {
    await page.locator('#start-over').click()
    await page.locator('#start-over-cancel').click()
    expect(await page.locator('#start-over-confirm').isVisible()).toBe(false)
    expect(await notes().count()).toBe(2)
    await page.locator('#start-over').click()
    await page.locator('#start-over-erase').click()
    await page.locator('#unlock-button', { hasText: 'Create notebook' }).waitFor({ timeout: 20_000 })
    expect(await page.locator('#password-confirm').isVisible()).toBe(true)
    // The old password opens nothing now: it makes a new, empty notebook.
    await unlockWith('a new password', 'a new password')
    await saved()
    expect(await notes().count()).toBe(0)
    expect(run.pageErrors).toEqual([])
  })
})
