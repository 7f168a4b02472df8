import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ready } from '@weft/core'
import { EntryFactory, envelope } from '@weft/core/testing'
import { RemoteChangeStore } from '@weft/client'
import { healthLatency, startChildServer, type ChildServer } from './helpers/childServer.ts'
import { peakRss, stalledSocket } from './helpers/sockets.ts'
import { eventually, setupTenant, type Device } from '../network/helpers/devices.ts'

const MB = 1024 * 1024
/** Growth of the server's memory over its idle level that the attack must stay under. */
const RSS_BOUND = 160 * MB
const SLOW_MS = 3_000
/** Health must answer within this while the attack runs (generous: the CI machine is shared and loaded). */
const HEALTH_BOUND_MS = 1_000

async function liveConnections(url: string): Promise<number> {
  return ((await (await fetch(`${url}/v1/health`)).json()) as { liveConnections: number }).liveConnections
}

beforeAll(ready)

describe('socket back-pressure', () => {
  let dir: string
  let server: ChildServer
  let a: Device

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weft-backpressure-'))
    server = await startChildServer({ data: dir, authors: 'any', slowSocketMs: SLOW_MS }, 256)
    a = (await setupTenant(server.url, { count: 1 })).devices[0]!
    // Three databases of 12 entries of about 1 MB each.
    const factory = new EntryFactory(36)
    for (let d = 0; d < 3; d++) {
      const remote = new RemoteChangeStore({ connection: a.connection, db: `big${d}` })
      await remote.relay(Array.from({ length: 12 }, (_, i) => envelope(factory.entry(d * 12 + i, [], 1_000_000))))
    }
  }, 60_000)
  afterAll(async () => {
    await server?.kill()
    await rm(dir, { recursive: true, force: true })
  })

  it('holds the server to a bounded buffer for clients that never read, then drops them', async () => {
    const idle = server.rss()
    const token = await a.connection.token()
    const sockets = await Promise.all(
      Array.from({ length: 5 }, () => stalledSocket(server.url, a.connection.tenant, token)),
    )
    let slowest = 0
    const { peak } = await peakRss(server.rss, async () => {
      // 60 small subscribes on each socket, none of whose answers is ever read.
      for (const s of sockets)
        for (let i = 0; i < 60; i++) s.send({ type: 'subscribe', db: `big${i % 3}`, since: null })
      const end = Date.now() + SLOW_MS - 500
      while (Date.now() < end) {
        slowest = Math.max(slowest, await healthLatency(server.url))
        await new Promise((r) => setTimeout(r, 50))
      }
    })
    expect(peak - idle).toBeLessThan(RSS_BOUND)
    expect(slowest).toBeLessThan(HEALTH_BOUND_MS)
    expect(server.alive()).toBe(true)
    // Unread past slowSocketMs: every attacking socket is dropped.
    await eventually(
      async () => (await liveConnections(server.url)) === 0,
      SLOW_MS + 5_000,
      'the stalled sockets dropped',
    )
    for (const s of sockets) s.socket.destroy()
    // Another client of the tenant is served as before.
    const got = await new RemoteChangeStore({ connection: a.connection, db: 'big0' }).getAllChangeHashes()
    expect(got).toHaveLength(12)
  }, 30_000)
})
