import { createServer, request, type IncomingMessage } from 'node:http'
import { connect, createServer as createTcpServer, type Server as TcpServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ready } from '@weft/core/backend'
import { WeftServer } from '@weft/server'
import { PostgresStoreFactory } from '@weft/store-postgres'
import {
  adminQuery,
  createTestDatabase,
  type TestDatabase,
} from '../../packages/store-postgres/test/helpers/pgDatabase.ts'

const readyz = async (url: string) => {
  const res = await fetch(`${url}/readyz`)
  return { status: res.status, body: (await res.json()) as unknown }
}

beforeAll(ready)

describe('/readyz', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase('ready')
  })
  afterAll(() => db.drop())

  it('answers 503 (storage) while PostgreSQL cannot be reached, and 200 again once it can', async () => {
    // The server reaches PostgreSQL through a forwarder that can stop taking connections.
    const target = Number(new URL(db.url).port)
    let forwarder: TcpServer | undefined
    const open = async (port = 0) => {
      forwarder = createTcpServer((c) => {
        const up = connect(target, '127.0.0.1')
        c.pipe(up).pipe(c)
        for (const s of [c, up]) s.on('error', () => (c.destroy(), up.destroy()))
      })
      await new Promise<void>((r) => forwarder!.listen(port, '127.0.0.1', () => r()))
      return (forwarder.address() as AddressInfo).port
    }
    const port = await open()
    const url = new URL(db.url)
    url.port = String(port)
    const server = await WeftServer.start({ storeFactory: new PostgresStoreFactory({ url: url.toString() }) })
    try {
      expect(await readyz(server.url)).toEqual({ status: 200, body: { ready: true } })
      forwarder!.close()
      await adminQuery('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [db.name])
      expect(await readyz(server.url)).toEqual({ status: 503, body: { ready: false, reason: 'storage' } })
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200) // alive all the same
      await open(port)
      expect(await readyz(server.url)).toEqual({ status: 200, body: { ready: true } })
    } finally {
      await server.close()
      forwarder?.close()
    }
  })

  it('answers 503 (draining) during a drain, which finishes the request in flight before closing', async () => {
    // Mounted in an app's own HTTP server, which keeps taking requests while the Weft server drains.
    const weft = await WeftServer.open()
    let arrived!: () => void
    const inFlight = new Promise<void>((r) => (arrived = r))
    const app = createServer((req, res) => {
      void weft.handleRequest(req, res)
      if (req.url?.endsWith('/challenge')) arrived()
    })
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()))
    const base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`
    try {
      // A request whose body is still arriving when the drain starts.
      const body = new Uint8Array([
        0x81,
        0xa9,
        ...new TextEncoder().encode('publicKey'),
        0xc4,
        32,
        ...new Uint8Array(32),
      ])
      const slow = request(`${base}/v1/t/acme/challenge`, {
        method: 'POST',
        headers: { 'content-type': 'application/msgpack', 'content-length': body.length },
      })
      const answered = new Promise<IncomingMessage>((r) => slow.once('response', r))
      slow.flushHeaders()
      slow.write(body.subarray(0, 5))
      await inFlight
      let drained = false
      const draining = weft.drain({ timeoutMs: 10_000 }).then(() => (drained = true))
      expect(weft.draining).toBe(true)
      expect(await readyz(base)).toEqual({ status: 503, body: { ready: false, reason: 'draining' } })
      expect(drained).toBe(false) // still waiting for the request in flight
      slow.end(body.subarray(5))
      const res = await answered
      expect(res.headers.connection).toBe('close')
      res.resume()
      await draining
    } finally {
      await weft.close()
      await new Promise((r) => app.close(r))
    }
  })
})
