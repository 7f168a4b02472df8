import { access, constants } from 'node:fs/promises'
import { chromium, type Browser } from 'playwright-core'

/** Where the browser is: `CHROMIUM_PATH`, else the Debian package's path. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Launches the system's headless Chromium (playwright-core never downloads one). */
export async function launchChromium(): Promise<Browser> {
  await access(CHROMIUM_PATH, constants.X_OK).catch(() => {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: install Debian's chromium package (.ci/run does) or set CHROMIUM_PATH`)
  })
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 30_000,
  })
}
