import { access, constants } from 'node:fs/promises'
import chromiumPackage from '@sparticuz/chromium'
import { chromium, type Browser } from 'playwright-core'

/** Debian's Chromium, used when it is installed (or the browser `CHROMIUM_PATH` names). */
export const SYSTEM_CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

const COMMON_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Which browser {@link launchChromium} starts: its path, its arguments and where it came from. */
export interface ChromiumChoice {
  readonly executablePath: string
  readonly args: readonly string[]
  readonly source: 'system' | '@sparticuz/chromium'
}

/**
 * Picks the browser: Debian's `/usr/bin/chromium` (or `CHROMIUM_PATH`) when it is executable,
 * otherwise the headless Chromium shipped inside the `@sparticuz/chromium` devDependency (it
 * extracts its brotli-compressed binary to /tmp at first use). Never downloads anything, and a
 * missing browser is an error, never a skip.
 */
export async function chooseChromium(): Promise<ChromiumChoice> {
  const system = await access(SYSTEM_CHROMIUM_PATH, constants.X_OK).then(
    () => true,
    () => false,
  )
  if (system) return { executablePath: SYSTEM_CHROMIUM_PATH, args: COMMON_ARGS, source: 'system' }
  if (process.env.CHROMIUM_PATH) throw new Error(`CHROMIUM_PATH names no executable: ${process.env.CHROMIUM_PATH}`)
  chromiumPackage.setGraphicsMode = false
  const executablePath = await chromiumPackage.executablePath()
  // Not the package's own `args`: they are tuned for serverless hosts (`--single-process`,
  // `--disable-web-security`) and would change what the tests observe (one crashing page takes the
  // whole browser down; cross-origin rules off). Its binary is headless_shell, which runs with ours.
  return { executablePath, args: [...COMMON_ARGS, '--no-zygote'], source: '@sparticuz/chromium' }
}

/** Launches headless Chromium (see {@link chooseChromium}); playwright-core never downloads one. */
export async function launchChromium(): Promise<Browser> {
  const { executablePath, args } = await chooseChromium()
  return chromium.launch({ executablePath, args: [...args], timeout: 30_000 })
}

/** @deprecated the system path only; the browser launched may be the packaged one, see {@link chooseChromium}. */
export const CHROMIUM_PATH = SYSTEM_CHROMIUM_PATH
