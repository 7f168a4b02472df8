// Runs a Weft server in this process for the adversarial tests: options arrive as JSON in
// WEFT_TEST_SERVER_OPTIONS ({ memory?: true, data?: string, limits?, quotas?, sessionTtlMs?, ... }),
// and the process prints `READY <url>` once it listens. Killed by the test when done.
import { MemoryStoreFactory } from '@weft/core'
import { WeftServer, type WeftServerOptions } from '@weft/server'
import { LevelStoreFactory } from '@weft/store-level'

const { data, ...options } = JSON.parse(process.env.WEFT_TEST_SERVER_OPTIONS ?? '{}') as WeftServerOptions & {
  data?: string
}
const storeFactory = data ? new LevelStoreFactory({ path: data }) : new MemoryStoreFactory()
const server = await WeftServer.start({ ...options, storeFactory, log: (m, e) => console.error(m, e ?? '') })
console.log(`READY ${server.url}`)
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)))
