import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, ready } from '@weft/core'
import { WeftServer } from '@weft/server'
import { eventually, setupTenant } from '../network/helpers/devices.ts'
import { recordingSocket } from './helpers/sockets.ts'

/** The per-socket subscription limit the server documents. */
const LIMIT = 64

beforeAll(ready)

describe('subscribe bursts', () => {
  let server: WeftServer
  beforeAll(async () => {
    server = await WeftServer.start()
  })
  afterAll(() => server.close())

  it('never pass the per-socket limit, and closed sockets leave no store listener behind', async () => {
    const {
      tenantId,
      devices: [a],
    } = await setupTenant(server.url, { count: 1 })
    const token = await a!.connection.token()
    for (let burst = 0; burst < 3; burst++) {
      const sockets = await Promise.all(Array.from({ length: 3 }, () => recordingSocket(server.url, tenantId, token)))
      // 200 subscribes per socket at once, over 100 databases (each named twice): at least 36 are
      // refused however the messages arrive, and a database named twice races its own subscription.
      for (const s of sockets)
        for (let i = 0; i < 200; i++) s.send({ type: 'subscribe', db: `burst${i % 100}`, since: null })
      let most = 0
      let seen = -1
      await eventually(
        async () => {
          most = Math.max(most, await server.storeListeners())
          // Quiet: every subscribe answered or refused, nothing more arriving.
          const now = sockets.reduce((n, s) => n + s.messages.length, 0)
          const quiet = now === seen && sockets.every((s) => s.messages.length >= 200 - LIMIT)
          seen = now
          return quiet
        },
        10_000,
        'answers to the burst',
      )
      most = Math.max(most, await server.storeListeners())
      expect(most).toBeLessThanOrEqual(sockets.length * LIMIT)
      expect(most).toBeGreaterThan(0)
      for (const s of sockets)
        expect(new Set(s.messages.flatMap((x) => (x.m.type === 'entries' ? [x.m.db] : []))).size).toBeLessThanOrEqual(
          LIMIT,
        )
      for (const s of sockets) {
        const refused = s.messages.filter((x) => x.m.type === 'error')
        expect(refused.length).toBeGreaterThan(0)
        for (const r of refused) expect(r.m).toMatchObject({ code: ErrorCodes.PROTOCOL })
      }
      for (const s of sockets) s.ws.close()
      await Promise.all(sockets.map((s) => s.closed))
      await eventually(async () => (await server.storeListeners()) === 0, 5_000, 'no listener left')
      expect(server.heldBytes(tenantId)).toBe(0) // and no page held in the tenant's memory budget
    }
  })

  it('leaves no listener when the socket closes while its subscribes wait for their stores', async () => {
    const {
      tenantId,
      devices: [a],
    } = await setupTenant(server.url, { count: 1 })
    const s = await recordingSocket(server.url, tenantId, await a!.connection.token())
    for (let i = 0; i < 60; i++) s.send({ type: 'subscribe', db: `closing${i}`, since: null })
    s.ws.terminate()
    await s.closed
    await new Promise((r) => setTimeout(r, 300))
    expect(await server.storeListeners()).toBe(0)
  })
})
