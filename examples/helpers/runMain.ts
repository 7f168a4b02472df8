// Shared by every example: the options `run` takes, and the "executed directly?" guard that lets
// one file be both a module the tests import and a script (`npx tsx examples/<name>.ts`).
import { realpathSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { KdfParams } from '@weft/core'

export interface ExampleOptions {
  /** Where the example writes its account of what happened. Default: nowhere. */
  readonly log?: (line: string) => void
  /** Argon2id cost for passwords. Tests pass `TEST_KDF`; a direct run uses the default cost. */
  readonly kdf?: KdfParams
}

/**
 * Runs `run` with `console.log` when the calling module is the script Node was started with, and
 * does nothing when it is imported. A failure prints the error and sets exit code 1.
 */
export function runMain(meta: ImportMeta, run: (options: ExampleOptions) => Promise<unknown>): void {
  if (!isEntryPoint(meta.url)) return
  run({ log: (line) => console.log(line) }).catch((err: unknown) => {
    console.error(err)
    process.exitCode = 1
  })
}

function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1]
  if (script === undefined) return false
  if (moduleUrl === pathToFileURL(script).href) return true
  try {
    // The same file reached through a symlinked directory.
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl))
  } catch {
    return false
  }
}
