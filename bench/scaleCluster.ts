/**
 * The processes of the scale bench: one PostgreSQL (`WEFT_BENCH_PG_URL`, or a throwaway embedded
 * one with fsync on) holding a fresh database, and relay processes over it ({@link scaleServer}),
 * each named in `pg_stat_activity` by its `application_name`, so its connections can be counted.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Identifiers } from '@weft/store-postgres'
import pg from 'pg'
import { startEmbeddedPostgres } from '../test/helpers/embeddedPostgres.ts'

/** Most connections of each relay process's pool. */
export const POOL_BOUND = 10

/** Memory of one relay process after a full collection. */
export interface ProcessMemory {
  readonly rss: number
  readonly heap: number
  /** Memory of C++ objects bound to JS ones (socket buffers among them). */
  readonly external: number
  readonly live: number
}

/** One relay process. */
export interface RelayProcess {
  readonly name: string
  /** The relay's HTTP URL. */
  readonly url: string
  /** A bare WebSocket echo server in the same process. */
  readonly echo: string
  mem(): Promise<ProcessMemory>
  stop(): Promise<void>
}

/** A PostgreSQL with a fresh database for one bench run. */
export interface BenchDatabase {
  /** The fresh database's URL (as its owner). */
  readonly url: string
  /** A connection to it, for pg_stat_activity and the like. */
  readonly admin: pg.Client
  drop(): Promise<void>
}

export async function openBenchDatabase(name: string): Promise<BenchDatabase> {
  const given = process.env.WEFT_BENCH_PG_URL
  const embedded = given ? undefined : await startEmbeddedPostgres({ durable: true })
  const rootUrl = given ?? embedded!.url
  const root = new pg.Client({ connectionString: rootUrl })
  await root.connect()
  const dbName = `weft_${name}_${process.pid}`
  await root.query(`CREATE DATABASE ${dbName}`)
  const u = new URL(rootUrl)
  u.pathname = `/${dbName}`
  const admin = new pg.Client({ connectionString: u.toString() })
  await admin.connect()
  return {
    url: u.toString(),
    admin,
    async drop() {
      await admin.end()
      await root.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
      await root.query(`DROP ROLE IF EXISTS ${Identifiers.appRole(dbName)}`)
      await root.end()
      await embedded?.stop()
    },
  }
}

/**
 * Starts `count` relay processes over `db`, one after another (the first creates the server's
 * identity and the tables; the others find them).
 */
export async function startRelays(db: BenchDatabase, count: number, tag: string): Promise<RelayProcess[]> {
  const out: RelayProcess[] = []
  try {
    for (let i = 0; i < count; i++) out.push(await startRelay(db.url, `weft-${tag}-${i}`))
  } catch (err) {
    await Promise.all(out.map((p) => p.stop()))
    throw err
  }
  return out
}

async function startRelay(dbUrl: string, name: string): Promise<RelayProcess> {
  const script = fileURLToPath(new URL('./scaleServer.ts', import.meta.url))
  const u = new URL(dbUrl)
  u.searchParams.set('application_name', name)
  const child: ChildProcess = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', script], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, WEFT_SCALE_PG_URL: u.toString(), WEFT_SCALE_POOL: String(POOL_BOUND) },
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  const next = async (): Promise<string> => {
    const r = await lines.next()
    if (r.done) throw new Error(`relay process ${name} ended`)
    return r.value as string
  }
  const first = JSON.parse(await next()) as { url: string; echo: string }
  return {
    name,
    ...first,
    async mem() {
      child.stdin!.write('mem\n')
      return JSON.parse(await next()) as ProcessMemory
    },
    async stop() {
      child.stdin!.end()
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** Connections each relay process holds now, by `application_name`. */
export async function connectionsByProcess(db: BenchDatabase, names: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await db.admin.query<{ name: string; n: string }>(
    'SELECT application_name AS name, count(*) AS n FROM pg_stat_activity WHERE application_name = ANY($1) GROUP BY 1',
    [names],
  )
  const out = new Map(names.map((n) => [n, 0]))
  for (const r of rows) out.set(r.name, Number(r.n))
  return out
}

/**
 * Samples the PostgreSQL connections each relay process holds, every 200 ms, until stopped:
 * `max()` is the largest count any process held so far.
 */
export function sampleConnections(
  db: BenchDatabase,
  names: readonly string[],
): { max(): number; stop(): Promise<void> } {
  let sampling = true
  let most = 0
  const sampler = (async () => {
    while (sampling) {
      const c = await connectionsByProcess(db, names)
      most = Math.max(most, ...c.values())
      await new Promise((r) => setTimeout(r, 200))
    }
  })()
  return {
    max: () => most,
    stop: async () => {
      sampling = false
      await sampler
    },
  }
}
