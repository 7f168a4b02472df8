import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** This package's folder: fixtures run from here so `tsx` and `@weft/*` resolve as in the tests. */
const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url))

/** Runs `test/fixtures/<name>` in a Node process of its own (with tsx); resolves with its exit code and output. */
export function runFixture(
  name: string,
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: PACKAGE_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => void (stdout += c))
  child.stderr.setEncoding('utf8').on('data', (c: string) => void (stderr += c))
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
}
