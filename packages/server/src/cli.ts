#!/usr/bin/env node
/**
 * `npm run serve -- [--port 8787] [--host 127.0.0.1] [--data ./weft-data] [--memory]`
 * `npm run serve -- tenant reset <tenant> [--data DIR]` and
 * `npm run serve -- tenant transfer <tenant> --to <public key, base64url> [--data DIR]`: the
 * operator's recovery of a tenant id, run against the data folder while the server is stopped.
 * Starts a Weft server with embedded LevelDB storage in the data folder, or on PostgreSQL with
 * `--postgres URL [--isolation database|schema|shared|hybrid]` (WEFT_POSTGRES_URL, WEFT_ISOLATION).
 * Behind a pooler in transaction mode, `--postgres-session URL` (WEFT_POSTGRES_SESSION_URL) names
 * the same database reached with sessions of its own, for locks and `LISTEN`; the server's records then
 * send unnamed statements through the pooler unless `--prepared-statements`
 * (WEFT_POSTGRES_PREPARED_STATEMENTS=1) says it keeps named ones (PgBouncer 1.21 or later).
 * `weft-server migrate --from <level folder> --to <postgres url>` moves a LevelDB server's data
 * into PostgreSQL. Flags win over the
 * environment: WEFT_PORT, WEFT_HOST, WEFT_DATA_DIR, WEFT_BASE_DOMAIN, WEFT_PUBLIC_URLS (comma-separated
 * URLs clients reach the server by; sign-ins made for any other origin are refused, beside the server identity every
 * sign-in names), and for the per-tenant
 * quotas WEFT_MAX_BYTES_PER_TENANT, WEFT_MAX_ENTRIES_PER_TENANT, WEFT_MAX_DATABASES_PER_TENANT,
 * WEFT_TENANT_REQUESTS_PER_SECOND, WEFT_MAX_MEMBERS_PER_TENANT, WEFT_MAX_MAIL_MESSAGES_PER_TENANT,
 * WEFT_MAX_MAIL_BYTES_PER_TENANT, WEFT_MAX_HELD_BYTES_PER_TENANT (a number, or `unlimited`); for registrations WEFT_MAX_TENANTS,
 * WEFT_TENANTS_PER_ADDRESS (new tenants per remote address an hour) and WEFT_REGISTRATION_TOKENS
 * (comma-separated: when set, only these operator tokens create tenants); WEFT_LOG_LEVEL (JSON
 * request logs on stdout, default info) and WEFT_METRICS_TOKEN (serves /metrics to scrapes that send it);
 * for tenancy WEFT_ADMIN_KEY (the bootstrap admin API key), WEFT_TENANT_ID (a single-tenant server),
 * WEFT_DEFAULT_TENANT, WEFT_ISOLATION (the isolation model of new tenants), WEFT_MANAGED_TENANTS=1
 * (tenants are created through the admin API only) and WEFT_ISOLATION_CHANGES (comma-separated: the
 * models a tenant may be moved to through the admin API unless its own configuration says). A bad flag prints `WEFT_CLI_USAGE` and a remedy,
 * and exits 2.
 *
 * `--single-process` (WEFT_SINGLE_PROCESS=1) tells a server on PostgreSQL that it is the only process
 * on that storage: it keeps sessions, counts and caches in memory and opens no cluster bus.
 * `--verify-threads N` (WEFT_VERIFY_THREADS) checks the signatures of large pushes on N worker
 * threads (a `createNodeVerifierPool` given to the store; off by default, see docs/storage.md).
 *
 * `--workers N` (WEFT_WORKERS) runs N server processes on the one port (`node:cluster`): the primary
 * restarts a worker that dies and passes SIGTERM on. SIGTERM (or SIGINT) drains gracefully: no new
 * connections, live sockets closed with the going-away code, requests in flight finished, then exit.
 *
 * `weft-server admin-key` prints a new admin API key once, for WEFT_ADMIN_KEY.
 */
import cluster from 'node:cluster'
import { parseArgs } from 'node:util'
import { MemoryStoreFactory } from '@weft/core'
import { createNodeVerifierPool, LevelStoreFactory } from '@weft/store-level'
import { createServerLogger, isLogLevel, LOG_LEVELS, type LogLevel } from './observability/serverLogger.ts'
import { isIsolationModel, PostgresStoreFactory } from '@weft/store-postgres'
import { migrateCommand } from './cliMigrate.ts'
import type { TenantQuota } from './ServerOptions.ts'
import { WeftServer } from './WeftServer.ts'
import { runWorkers } from './cluster/runWorkers.ts'
import { tenantCommand } from './tenantCommand.ts'

if (process.argv[2] === 'tenant') process.exit(await tenantCommand(process.argv.slice(3)))
import { newApiKey } from './tenancy/ApiKeys.ts'

// `weft-server admin-key`: a new key, printed once; the server stores only its hash when given it (WEFT_ADMIN_KEY).
if (process.argv[2] === 'admin-key') {
  console.log(newApiKey())
  process.exit(0)
}

const QUOTA_FLAGS = {
  'max-bytes-per-tenant': 'maxBytesPerTenant',
  'max-entries-per-tenant': 'maxEntriesPerTenant',
  'max-databases-per-tenant': 'maxDatabasesPerTenant',
  'tenant-requests-per-second': 'tenantRequestsPerSecond',
  'max-members-per-tenant': 'maxMembersPerTenant',
  'max-mail-messages-per-tenant': 'maxMailMessagesPerTenant',
  'max-mail-bytes-per-tenant': 'maxMailBytesPerTenant',
  'max-held-bytes-per-tenant': 'maxHeldBytesPerTenant',
} as const satisfies Record<string, keyof TenantQuota>

if (process.argv[2] === 'migrate') process.exit(await migrateCommand(process.argv.slice(3)))

/** Stops with a usage error: its code and one line of remedy, never a stack trace. */
function usage(message: string, remedy = 'run weft-server --help for the flags'): never {
  console.error(`WEFT_CLI_USAGE: ${message}\n  remedy: ${remedy}`)
  process.exit(2)
}

const FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  data: { type: 'string' },
  'base-domain': { type: 'string' },
  'public-url': { type: 'string', multiple: true },
  memory: { type: 'boolean' },
  postgres: { type: 'string' },
  'postgres-session': { type: 'string' },
  'prepared-statements': { type: 'boolean' },
  isolation: { type: 'string' },
  'max-tenants': { type: 'string' },
  'tenants-per-address': { type: 'string' },
  'registration-token': { type: 'string', multiple: true },
  'log-level': { type: 'string' },
  metrics: { type: 'boolean' },
  workers: { type: 'string' },
  'single-process': { type: 'boolean' },
  'verify-threads': { type: 'string' },
  'metrics-token': { type: 'string' },
  help: { type: 'boolean' },
  ...Object.fromEntries(Object.keys(QUOTA_FLAGS).map((f) => [f, { type: 'string' as const }])),
} as const

const { values } = (() => {
  try {
    return parseArgs({ options: FLAGS })
  } catch (err) {
    return usage((err as Error).message)
  }
})()

if (values.help) {
  console.log(
    'weft-server [--port N] [--host ADDR] [--data DIR | --postgres URL [--isolation database|schema|shared|hybrid]]\n' +
      '            [--postgres-session URL]   (behind a transaction-mode pooler: the database with sessions, for locks)\n' +
      '            [--prepared-statements]   (with --postgres-session: the pooler keeps named statements, PgBouncer 1.21+)\n' +
      '            [--base-domain DOMAIN] [--public-url URL ...] [--memory]\n' +
      '            [--max-bytes-per-tenant N] [--max-entries-per-tenant N] [--max-databases-per-tenant N]\n' +
      '            [--tenant-requests-per-second N] [--max-members-per-tenant N] [--max-mail-messages-per-tenant N]\n' +
      '            [--max-mail-bytes-per-tenant N] [--max-held-bytes-per-tenant N]   (N: a number, or unlimited)\n' +
      '            [--max-tenants N] [--tenants-per-address N (an hour)] [--registration-token TOKEN ...] (tokens close open registration)\n' +
      '            [--log-level fatal|error|warn|info|debug|trace|silent] [--metrics] [--metrics-token TOKEN]\n' +
      '            [--workers N]   (N processes on one port, over --postgres; SIGTERM drains them)\n' +
      '            [--single-process]   (the only process on its PostgreSQL: no cluster bus, state kept in memory)\n' +
      '            [--verify-threads N]   (signatures of large pushes checked on N worker threads, 1 to 16)\n' +
      'weft-server admin-key   prints a new admin API key once (give it to the server as WEFT_ADMIN_KEY)\n' +
      'weft-server tenant reset|transfer <id> [--to KEY] [--data DIR]   (the server stopped: see docs/operations.md)\n' +
      'weft-server migrate --from <level folder> --to <postgres url>   (moves a LevelDB server to PostgreSQL)',
  )
  process.exit(0)
}

const port = Number(values.port ?? process.env.WEFT_PORT ?? 8787)
if (!Number.isInteger(port) || port < 0 || port > 65_535)
  usage(`--port takes a port number (0 to 65535), not ${values.port ?? process.env.WEFT_PORT}`)
const logLevel = values['log-level'] ?? process.env.WEFT_LOG_LEVEL ?? 'info'
if (!isLogLevel(logLevel)) usage(`--log-level takes one of ${LOG_LEVELS.join(', ')}, not ${logLevel}`)
const metricsToken = values['metrics-token'] ?? process.env.WEFT_METRICS_TOKEN
const host = values.host ?? process.env.WEFT_HOST ?? '127.0.0.1'
const data = values.data ?? process.env.WEFT_DATA_DIR ?? './weft-data'
const baseDomain = values['base-domain'] ?? process.env.WEFT_BASE_DOMAIN
const publicUrls =
  values['public-url'] ??
  process.env.WEFT_PUBLIC_URLS?.split(',')
    .map((u) => u.trim())
    .filter(Boolean)
const quotas: Partial<Record<keyof TenantQuota, number>> = {}
for (const [flag, field] of Object.entries(QUOTA_FLAGS)) {
  const raw =
    (values as Record<string, unknown>)[flag] ?? process.env[`WEFT_${flag.toUpperCase().replaceAll('-', '_')}`]
  if (typeof raw !== 'string') continue
  const n = raw === 'unlimited' ? Infinity : Number(raw)
  if (!(n >= 0)) {
    usage(`--${flag} takes a number or 'unlimited', not ${raw}`)
  }
  quotas[field] = n
}
const count = (flag: string, raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined
  const n = raw === 'unlimited' ? Infinity : Number(raw)
  if (!(n >= 0)) {
    usage(`--${flag} takes a number or 'unlimited', not ${raw}`)
  }
  return n
}
const maxTenants = count('max-tenants', values['max-tenants'] ?? process.env.WEFT_MAX_TENANTS)
const perAddress = count('tenants-per-address', values['tenants-per-address'] ?? process.env.WEFT_TENANTS_PER_ADDRESS)
const tokens =
  values['registration-token'] ??
  process.env.WEFT_REGISTRATION_TOKENS?.split(',')
    .map((t) => t.trim())
    .filter(Boolean)
const registration = {
  ...(maxTenants !== undefined ? { maxTenants } : {}),
  ...(perAddress !== undefined ? { perAddress: { tenants: perAddress, windowMs: 3_600_000 } } : {}),
  ...(tokens?.length ? { open: false, tokens } : {}),
}
const postgres = values.postgres ?? process.env.WEFT_POSTGRES_URL
const postgresSession = values['postgres-session'] ?? process.env.WEFT_POSTGRES_SESSION_URL
if (postgresSession !== undefined && !postgres)
  usage('--postgres-session names the sessions of a PostgreSQL storage', 'add --postgres URL')
const preparedStatements =
  values['prepared-statements'] === true || process.env.WEFT_POSTGRES_PREPARED_STATEMENTS === '1'
if (preparedStatements && !postgresSession)
  usage(
    '--prepared-statements is for a pooler that keeps them; without --postgres-session statements are named already',
    'add --postgres-session URL, or drop --prepared-statements',
  )
const workersRaw = values.workers ?? process.env.WEFT_WORKERS
const workers = workersRaw === undefined ? 1 : Number(workersRaw)
if (!Number.isInteger(workers) || workers < 1 || workers > 64)
  usage(`--workers takes a number of processes from 1 to 64, not ${workersRaw}`)
if (workers > 1 && !postgres)
  usage('--workers needs storage the processes share', 'add --postgres URL (LevelDB and memory belong to one process)')
const singleProcess = values['single-process'] === true || process.env.WEFT_SINGLE_PROCESS === '1'
if (singleProcess && workers > 1) usage('--single-process and --workers contradict each other', 'drop one of them')
const verifyThreadsRaw = values['verify-threads'] ?? process.env.WEFT_VERIFY_THREADS
const verifyThreads = verifyThreadsRaw === undefined ? 0 : Number(verifyThreadsRaw)
if (verifyThreadsRaw !== undefined && (!Number.isInteger(verifyThreads) || verifyThreads < 1 || verifyThreads > 16))
  usage(`--verify-threads takes a number of threads from 1 to 16, not ${verifyThreadsRaw}`)
const isolation = values.isolation ?? process.env.WEFT_ISOLATION ?? 'shared'
const tenancy = {
  ...(process.env.WEFT_ADMIN_KEY ? { adminKey: process.env.WEFT_ADMIN_KEY } : {}),
  ...(process.env.WEFT_TENANT_ID ? { tenant: process.env.WEFT_TENANT_ID } : {}),
  ...(process.env.WEFT_DEFAULT_TENANT ? { defaultTenant: process.env.WEFT_DEFAULT_TENANT } : {}),
  // New tenants get the storage's model; under hybrid, `shared` unless their creation names one.
  ...(postgres || process.env.WEFT_ISOLATION ? { isolation: isolation === 'hybrid' ? 'shared' : isolation } : {}),
  ...(process.env.WEFT_MANAGED_TENANTS === '1' ? { managedOnly: true } : {}),
  ...(process.env.WEFT_ISOLATION_CHANGES
    ? { isolationChanges: process.env.WEFT_ISOLATION_CHANGES.split(',').map((m) => m.trim()) }
    : {}),
}
for (const m of tenancy.isolationChanges ?? [])
  if (!isIsolationModel(m)) usage(`WEFT_ISOLATION_CHANGES takes database, schema or shared, comma-separated, not ${m}`)
if (postgres && !(isIsolationModel(isolation) || isolation === 'hybrid')) {
  usage(`--isolation takes database, schema, shared or hybrid, not ${isolation}`)
}

/** Starts one server process with the flags above. */
async function serve(): Promise<void> {
  const storeOptions = verifyThreads ? { verifier: createNodeVerifierPool({ threads: verifyThreads }) } : {}
  const storeFactory = values.memory
    ? new MemoryStoreFactory({ storeOptions })
    : postgres
      ? new PostgresStoreFactory({
          url: postgres,
          ...(postgresSession ? { sessionUrl: postgresSession, preparedStatements } : {}),
          isolation: isolation as 'hybrid',
          storeOptions,
        })
      : new LevelStoreFactory({ path: data, storeOptions })
  // Without a URL, the storage is named; with one, its password is not printed.
  const stored = values.memory ? 'in memory' : postgres ? `on PostgreSQL (${isolation} isolation)` : `data in ${data}`
  const where = verifyThreads ? `${stored}, signatures on ${verifyThreads} worker threads` : stored

  const logger = createServerLogger({ level: logLevel as LogLevel })
  const server = await WeftServer.start({
    logger,
    ...(values.metrics || metricsToken !== undefined
      ? { metrics: metricsToken !== undefined ? { token: metricsToken } : {} }
      : {}),
    port,
    host,
    storeFactory,
    quotas,
    registration,
    tenancy,
    ...(singleProcess ? { cluster: false as const } : {}),
    ...(baseDomain ? { baseDomain } : {}),
    ...(publicUrls?.length ? { publicUrls } : {}),
    log: (message, error) => logger.error({ err: error }, message),
  }).catch((err: NodeJS.ErrnoException) => {
    // A port in use or a folder another process holds: say so in one line, no stack trace.
    const remedy =
      err.code === 'EADDRINUSE'
        ? 'another process listens there: pick another --port, or stop it'
        : 'check the data folder (is another server using it?) and the flags'
    console.error(`${(err as { code?: string }).code ?? 'WEFT_CLI_START'}: ${err.message}\n  remedy: ${remedy}`)
    process.exit(1)
  })

  const worker = cluster.isWorker ? `, worker ${process.pid}` : ''
  console.log(`weft server listening on ${server.url} (${where}), identity ${server.serverId}${worker}`)

  // Drains: no new connections, sockets told to reconnect elsewhere, requests in flight finished.
  const stop = () => void server.close({ graceful: true }).then(() => process.exit(0))
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, stop)
  // A worker whose primary is gone stops too.
  if (cluster.isWorker) process.once('disconnect', stop)
}

if (workers > 1 && cluster.isPrimary) {
  await runWorkers({ count: workers, log: (line) => console.log(line) })
  console.log(`weft server: ${workers} workers listening on ${host}:${port}`)
} else {
  await serve()
}
