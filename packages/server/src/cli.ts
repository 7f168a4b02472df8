#!/usr/bin/env node
/**
 * `npm run serve -- [--port 8787] [--host 127.0.0.1] [--data ./weft-data] [--memory]`
 * Starts a Weft server with embedded LevelDB storage in the data folder, or on PostgreSQL with
 * `--postgres URL [--isolation database|schema|shared|hybrid]` (WEFT_POSTGRES_URL, WEFT_ISOLATION).
 * `weft-server migrate --from <level folder> --to <postgres url>` moves a LevelDB server's data
 * into PostgreSQL. Flags win over the
 * environment: WEFT_PORT, WEFT_HOST, WEFT_DATA_DIR, WEFT_BASE_DOMAIN, WEFT_PUBLIC_URLS (comma-separated
 * URLs clients reach the server by; sign-ins made for any other origin are refused, beside the server identity every
 * sign-in names), and for the per-tenant
 * quotas WEFT_MAX_BYTES_PER_TENANT, WEFT_MAX_ENTRIES_PER_TENANT, WEFT_MAX_DATABASES_PER_TENANT,
 * WEFT_TENANT_REQUESTS_PER_SECOND, WEFT_MAX_MEMBERS_PER_TENANT, WEFT_MAX_MAIL_MESSAGES_PER_TENANT,
 * WEFT_MAX_MAIL_BYTES_PER_TENANT, WEFT_MAX_HELD_BYTES_PER_TENANT (a number, or `unlimited`); for registrations WEFT_MAX_TENANTS,
 * WEFT_TENANTS_PER_ADDRESS (new tenants per remote address an hour) and WEFT_REGISTRATION_TOKENS
 * (comma-separated: when set, only these operator tokens create tenants).
 */
import { parseArgs } from 'node:util'
import { MemoryStoreFactory } from '@weft/core'
import { LevelStoreFactory } from '@weft/store-level'
import { isIsolationModel, PostgresStoreFactory } from '@weft/store-postgres'
import { migrateCommand } from './cliMigrate.ts'
import type { TenantQuota } from './ServerOptions.ts'
import { WeftServer } from './WeftServer.ts'

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

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    data: { type: 'string' },
    'base-domain': { type: 'string' },
    'public-url': { type: 'string', multiple: true },
    memory: { type: 'boolean' },
    postgres: { type: 'string' },
    isolation: { type: 'string' },
    'max-tenants': { type: 'string' },
    'tenants-per-address': { type: 'string' },
    'registration-token': { type: 'string', multiple: true },
    help: { type: 'boolean' },
    ...Object.fromEntries(Object.keys(QUOTA_FLAGS).map((f) => [f, { type: 'string' as const }])),
  },
})

if (values.help) {
  console.log(
    'weft-server [--port N] [--host ADDR] [--data DIR] [--base-domain DOMAIN] [--public-url URL ...] [--memory]\n' +
      '            [--postgres URL [--isolation database|schema|shared|hybrid]]\n' +
      '            [--max-bytes-per-tenant N] [--max-entries-per-tenant N] [--max-databases-per-tenant N]\n' +
      '            [--tenant-requests-per-second N] [--max-members-per-tenant N] [--max-mail-messages-per-tenant N]\n' +
      '            [--max-mail-bytes-per-tenant N] [--max-held-bytes-per-tenant N]   (N: a number, or unlimited)\n' +
      '            [--max-tenants N] [--tenants-per-address N (an hour)] [--registration-token TOKEN ...] (tokens close open registration)',
  )
  process.exit(0)
}

const port = Number(values.port ?? process.env.WEFT_PORT ?? 8787)
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
    console.error(`--${flag} takes a number or 'unlimited', not ${raw}`)
    process.exit(2)
  }
  quotas[field] = n
}
const count = (flag: string, raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined
  const n = raw === 'unlimited' ? Infinity : Number(raw)
  if (!(n >= 0)) {
    console.error(`--${flag} takes a number or 'unlimited', not ${raw}`)
    process.exit(2)
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
const isolation = values.isolation ?? process.env.WEFT_ISOLATION ?? 'shared'
if (postgres && !(isIsolationModel(isolation) || isolation === 'hybrid')) {
  console.error(`--isolation takes database, schema, shared or hybrid, not ${isolation}`)
  process.exit(2)
}
const storeFactory = values.memory
  ? new MemoryStoreFactory()
  : postgres
    ? new PostgresStoreFactory({ url: postgres, isolation: isolation as 'hybrid' })
    : new LevelStoreFactory({ path: data })
// Without a URL, the storage is named; with one, its password is not printed.
const where = values.memory ? 'in memory' : postgres ? `on PostgreSQL (${isolation} isolation)` : `data in ${data}`

const server = await WeftServer.start({
  port,
  host,
  storeFactory,
  quotas,
  registration,
  ...(baseDomain ? { baseDomain } : {}),
  ...(publicUrls?.length ? { publicUrls } : {}),
  log: (message, error) => console.error(message, error ?? ''),
})
console.log(`weft server listening on ${server.url} (${where}), identity ${server.serverId}`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0))
  })
}
