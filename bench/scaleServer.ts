/**
 * One relay process of the scale bench: a Weft server on the PostgreSQL that `WEFT_SCALE_PG_URL`
 * names (shared tables, a pool of `WEFT_SCALE_POOL` connections), and a bare WebSocket echo server
 * (the loopback reference). Prints one JSON line with both URLs, then answers each `mem` line on
 * stdin with its memory after a full garbage collection and its live socket count.
 */
import { createInterface } from 'node:readline'
import type { AddressInfo } from 'node:net'
import { WeftServer } from '@weft/server'
import { PostgresStoreFactory } from '@weft/store-postgres'
import { WebSocketServer } from 'ws'

const url = process.env.WEFT_SCALE_PG_URL
if (!url) throw new Error('WEFT_SCALE_PG_URL is not set')
const pool = Number(process.env.WEFT_SCALE_POOL ?? 10)
const storeFactory = new PostgresStoreFactory({ url, isolation: 'shared', maxConnections: pool })
const many = { requestsPerSecond: 1_000_000, burst: 1_000_000 }
const server = await WeftServer.start({
  storeFactory,
  limits: many,
  quotas: { tenantRequestsPerSecond: 1_000_000, tenantBurst: 1_000_000 },
  signIn: { maxPendingPerTenant: 100_000, maxPendingPerAddress: 100_000 },
})
const echo = new WebSocketServer({ port: 0, host: '127.0.0.1' })
echo.on('connection', (ws) => ws.on('message', (data) => ws.send(data)))
await new Promise((r) => echo.once('listening', r))
console.log(JSON.stringify({ url: server.url, echo: `ws://127.0.0.1:${(echo.address() as AddressInfo).port}` }))

const gc = (globalThis as { gc?: () => void }).gc
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'mem') {
    for (let i = 0; i < 3; i++) gc?.()
    await new Promise((r) => setTimeout(r, 50))
    const m = process.memoryUsage()
    console.log(JSON.stringify({ rss: m.rss, heap: m.heapUsed, external: m.external, live: server.liveConnections }))
  }
}
await server.close()
