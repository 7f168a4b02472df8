/**
 * The server side of the network bench, in its own process (its own core, as in production).
 * Prints its URL and a plain WebSocket server's URL (the memory reference), then answers each
 * `mem` line on stdin with the process memory after a full garbage collection, and each `cpu` line
 * with the CPU time the process has used (all its threads, in milliseconds).
 */
import { createInterface } from 'node:readline'
import type { AddressInfo } from 'node:net'
import { WeftServer } from '@weft/server'
import { WebSocketServer } from 'ws'

const server = await WeftServer.start({ limits: { requestsPerSecond: 100_000, burst: 100_000 } })
const plain = new WebSocketServer({ port: 0, host: '127.0.0.1' })
await new Promise((r) => plain.once('listening', r))
console.log(JSON.stringify({ url: server.url, plain: `ws://127.0.0.1:${(plain.address() as AddressInfo).port}` }))

const gc = (globalThis as { gc?: () => void }).gc
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'cpu') {
    const used = process.cpuUsage()
    console.log(JSON.stringify({ cpuMs: (used.user + used.system) / 1000 }))
  }
  if (line === 'mem') {
    for (let i = 0; i < 3; i++) gc?.()
    await new Promise((r) => setTimeout(r, 50))
    const m = process.memoryUsage()
    console.log(
      JSON.stringify({
        rss: m.rss,
        heap: m.heapUsed,
        external: m.external + m.arrayBuffers,
        live: server.liveConnections,
      }),
    )
  }
}
