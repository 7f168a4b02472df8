/**
 * The server of the growth group's fan-out row, in its own process (its own core, as in
 * production): a Weft server over LevelDB in the folder `WEFT_FANOUT_PATH`, with rate limits out of
 * the way. Prints its URL as one JSON line and closes when stdin ends.
 */
import { createInterface } from 'node:readline'
import { WeftServer } from '@weft/server'
import { LevelStoreFactory } from '@weft/store-level'

const path = process.env.WEFT_FANOUT_PATH
if (!path) throw new Error('WEFT_FANOUT_PATH is not set')
const many = { requestsPerSecond: 1_000_000, burst: 1_000_000 }
const server = await WeftServer.start({
  storeFactory: new LevelStoreFactory({ path }),
  limits: many,
  quotas: { tenantRequestsPerSecond: 1_000_000, tenantBurst: 1_000_000 },
})
console.log(JSON.stringify({ url: server.url }))
for await (const line of createInterface({ input: process.stdin })) void line
await server.close()
