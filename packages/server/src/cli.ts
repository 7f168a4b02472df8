#!/usr/bin/env node
/**
 * `npm run serve -- [--port 8787] [--host 127.0.0.1] [--data ./weft-data] [--memory]`
 * Starts a Weft server with embedded LevelDB storage in the data folder. Flags win over the
 * environment: WEFT_PORT, WEFT_HOST, WEFT_DATA_DIR, WEFT_BASE_DOMAIN, WEFT_PUBLIC_URLS (comma-separated
 * URLs clients reach the server by; sign-ins made for any other server are refused), and for the per-tenant
 * quotas WEFT_MAX_BYTES_PER_TENANT, WEFT_MAX_ENTRIES_PER_TENANT, WEFT_MAX_DATABASES_PER_TENANT,
 * WEFT_TENANT_REQUESTS_PER_SECOND (a number, or `unlimited`).
 */
import { parseArgs } from 'node:util'
import { MemoryStoreFactory } from '@weft/core'
import { LevelStoreFactory } from '@weft/store-level'
import type { TenantQuota } from './ServerOptions.ts'
import { WeftServer } from './WeftServer.ts'

const QUOTA_FLAGS = {
  'max-bytes-per-tenant': 'maxBytesPerTenant',
  'max-entries-per-tenant': 'maxEntriesPerTenant',
  'max-databases-per-tenant': 'maxDatabasesPerTenant',
  'tenant-requests-per-second': 'tenantRequestsPerSecond',
} as const satisfies Record<string, keyof TenantQuota>

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    data: { type: 'string' },
    'base-domain': { type: 'string' },
    'public-url': { type: 'string', multiple: true },
    memory: { type: 'boolean' },
    help: { type: 'boolean' },
    ...Object.fromEntries(Object.keys(QUOTA_FLAGS).map((f) => [f, { type: 'string' as const }])),
  },
})

if (values.help) {
  console.log(
    'weft-server [--port N] [--host ADDR] [--data DIR] [--base-domain DOMAIN] [--public-url URL ...] [--memory]\n' +
      '            [--max-bytes-per-tenant N] [--max-entries-per-tenant N] [--max-databases-per-tenant N]\n' +
      '            [--tenant-requests-per-second N]   (N: a number, or unlimited)',
  )
  process.exit(0)
}

const port = Number(values.port ?? process.env.WEFT_PORT ?? 8787)
const host = values.host ?? process.env.WEFT_HOST ?? '127.0.0.1'
const data = values.data ?? process.env.WEFT_DATA_DIR ?? './weft-data'
const baseDomain = values['base-domain'] ?? process.env.WEFT_BASE_DOMAIN
const publicUrls = values['public-url'] ?? process.env.WEFT_PUBLIC_URLS?.split(',').map((u) => u.trim()).filter(Boolean)
const quotas: Partial<Record<keyof TenantQuota, number>> = {}
for (const [flag, field] of Object.entries(QUOTA_FLAGS)) {
  const raw = (values as Record<string, unknown>)[flag] ?? process.env[`WEFT_${flag.toUpperCase().replaceAll('-', '_')}`]
  if (typeof raw !== 'string') continue
  const n = raw === 'unlimited' ? Infinity : Number(raw)
  if (!(n >= 0)) {
    console.error(`--${flag} takes a number or 'unlimited', not ${raw}`)
    process.exit(2)
  }
  quotas[field] = n
}
const storeFactory = values.memory ? new MemoryStoreFactory() : new LevelStoreFactory({ path: data })

const server = await WeftServer.start({
  port,
  host,
  storeFactory,
  quotas,
  ...(baseDomain ? { baseDomain } : {}),
  ...(publicUrls?.length ? { publicUrls } : {}),
  log: (message, error) => console.error(message, error ?? ''),
})
console.log(`weft server listening on ${server.url} (${values.memory ? 'in memory' : `data in ${data}`})`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0))
  })
}
