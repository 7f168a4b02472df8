/**
 * One relay process of a test cluster: `tsx clusterServerMain.ts '<json config>'`. Starts a
 * `WeftServer` on PostgreSQL (its cluster bus is the storage's), prints `{"url": …}` once it
 * listens, and closes when its standard input ends (the test is done) or on SIGTERM.
 */
import { WeftServer } from '@weft/server'
import { PostgresStoreFactory } from '@weft/store-postgres'

const config = JSON.parse(process.argv[2]!) as {
  pgUrl: string
  port: number
  publicUrls: string[]
  adminKey: string
  maxEntriesPerTenant: number
  isolation?: 'database' | 'schema' | 'shared' | 'hybrid'
  defaultModel?: 'database' | 'schema' | 'shared'
}

const server = await WeftServer.start({
  storeFactory: new PostgresStoreFactory({
    url: config.pgUrl,
    maxConnections: 4,
    ...(config.isolation ? { isolation: config.isolation } : {}),
    ...(config.defaultModel ? { defaultModel: config.defaultModel } : {}),
  }),
  port: config.port,
  publicUrls: config.publicUrls,
  limits: { requestsPerSecond: 100_000, burst: 100_000 },
  quotas: { maxEntriesPerTenant: config.maxEntriesPerTenant },
  tenancy: { adminKey: config.adminKey, events: { heartbeatMs: 60_000 } },
  cluster: { statsIntervalMs: 200 },
  log: (message, error) => console.error(message, error),
})
console.log(JSON.stringify({ url: server.url }))

let closing = false
const stop = async () => {
  if (closing) return
  closing = true
  await server.close()
  process.exit(0)
}
process.stdin.on('end', () => void stop())
process.stdin.resume()
process.on('SIGTERM', () => void stop())
