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
    const { tenantId, devices: [a] } = await setupTenant(server.url, { count: 1 })
    const token = await a!.connection.token()
    for (let burst = 0; burst < 3; burst++) {
      const sockets = await Promise.all(Array.from({ length: 3 }, () => recordingSocket(server.url, tenantId, token)))
      // 200 subscribes per socket at once, over 40 databases (each named five times).
      for (const s of sockets) for (let i = 0; i < 200; i++) s.send({ type: 'subscribe', db: `burst${i % 40}`, since: null })
      let most = 0
      await eventually(async () => {
        most = Math.max(most, await server.storeListeners())
        // Every database answered (its last subscription holds); the excess was refused meanwhile.
        return sockets.every((s) => new Set(s.messages.flatMap((x) => (x.m.type === 'entries' ? [x.m.db] : []))).size === 40)
      }, 10_000, 'answers to the burst')
      await new Promise((r) => setTimeout(r, 100))
      most = Math.max(most, await server.storeListeners())
      expect(most).toBeLessThanOrEqual(sockets.length * LIMIT)
      expect(most).toBeGreaterThan(0)
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
    const { tenantId, devices: [a] } = await setupTenant(server.url, { count: 1 })
    const s = await recordingSocket(server.url, tenantId, await a!.connection.token())
    for (let i = 0; i < 60; i++) s.send({ type: 'subscribe', db: `closing${i}`, since: null })
    s.ws.terminate()
    await s.closed
    await new Promise((r) => setTimeout(r, 300))
    expect(await server.storeListeners()).toBe(0)
  })
})
