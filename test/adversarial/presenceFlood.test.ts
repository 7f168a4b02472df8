import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ready, type Tenant } from '@weft/core'
import { encodeBody } from '@weft/protocol'
import { healthLatency, startChildServer, type ChildServer } from './helpers/childServer.ts'
import { peakRss, recordingSocket } from './helpers/sockets.ts'
import { eventually } from '../network/helpers/devices.ts'
import { connect, joinDevice, rootDevice } from '../network/helpers/directoryDevices.ts'
import { linkedPresence } from '../network/helpers/presenceLink.ts'

const MB = 1024 * 1024
/** Growth of the server's memory over its idle level that the flood must stay under. */
const RSS_BOUND = 96 * MB
/** Health and a peer's presence must get through within this while the flood runs (the machine is shared). */
const LIVENESS_MS = 3_000
const FLOOD_MS = 3_000
/** The server's default presence rate per socket: 20 a second, bursts of 40. */
const PER_SOCKET = { rate: 20, burst: 40 }

beforeAll(ready)

const linked = (url: string, tenant: Tenant) => linkedPresence(url, tenant)

describe('presence flood', () => {
  let server: ChildServer
  beforeAll(async () => {
    server = await startChildServer({}, 256)
  }, 60_000)
  afterAll(() => server?.kill())

  it("one member's flood neither slows nor grows the server for others, and only its own rate gets through", async () => {
    const a = await rootDevice(server.url)
    const b = await joinDevice(a)
    const flooder = await joinDevice(a)
    const other = await rootDevice(server.url) // another tenant on the same relay
    const [la, lb, lo] = [await linked(server.url, a), await linked(server.url, b), await linked(server.url, other)]
    const [pa, pb] = [(await a.openDB('notes')).presence, (await b.openDB('notes')).presence]
    // A watcher that counts what the relay passes on from the flood.
    const watcher = await recordingSocket(server.url, a.id, await connect(server.url, b).token())
    watcher.send({ type: 'presence-watch', scope: 'notes' })
    const flood = await recordingSocket(server.url, a.id, await connect(server.url, flooder).token())
    await new Promise((r) => setTimeout(r, 200)) // the watch is in force
    const idle = server.rss()
    const junk = encodeBody({ type: 'presence', scope: 'notes', data: new Uint8Array(4_000).fill(7) })

    let sent = 0
    let slowest = 0
    let slowestPeer = 0
    const started = Date.now()
    const { peak } = await peakRss(server.rss, async () => {
      const flooding = (async () => {
        while (Date.now() - started < FLOOD_MS) {
          for (let i = 0; i < 200; i++, sent++) flood.ws.send(junk)
          while (flood.ws.bufferedAmount > 4 * MB) await new Promise((r) => setTimeout(r, 2))
          await new Promise((r) => setImmediate(r))
        }
      })()
      for (let round = 1; Date.now() - started < FLOOD_MS; round++) {
        slowest = Math.max(slowest, await healthLatency(server.url))
        const t0 = Date.now()
        pa.set({ round })
        await eventually(() => (pb.peers()[0]?.state as { round?: number })?.round === round, 10_000, 'a peer')
        slowestPeer = Math.max(slowestPeer, Date.now() - t0)
      }
      await flooding
      // Another tenant's sync still runs: a write reaches the relay.
      await (await other.openDB('notes')).createDocument({ data: { during: 'flood' } })
      await lo.whenReady()
    })
    const seconds = (Date.now() - started) / 1000
    expect(sent).toBeGreaterThan(2_000)
    expect(server.alive()).toBe(true)
    expect(slowest).toBeLessThan(LIVENESS_MS)
    expect(slowestPeer).toBeLessThan(LIVENESS_MS)
    expect(peak - idle).toBeLessThan(RSS_BOUND)
    // What reached the watcher from the flood is bounded by the flooder's own rate, not by what it sent.
    await new Promise((r) => setTimeout(r, 300))
    const fromFlood = watcher.messages.filter(
      (x) => x.m.type === 'presence' && x.m.data.length === 4_000 && x.m.data[0] === 7,
    ).length
    expect(fromFlood).toBeGreaterThan(0)
    expect(fromFlood).toBeLessThanOrEqual(PER_SOCKET.burst + Math.ceil(PER_SOCKET.rate * (seconds + 1)))
    // The flooder was told, rarely, and its socket stays open.
    const refusals = flood.messages.filter((x) => x.m.type === 'presence-refused')
    expect(refusals.length).toBeGreaterThan(0)
    expect(refusals.length).toBeLessThan(sent / 100) // about one a second, never one per message
    expect(refusals[0]!.m).toMatchObject({ code: 'WEFT_RATE_LIMITED' })
    expect(flood.ws.readyState).toBe(flood.ws.OPEN)
    for (const s of [watcher, flood]) s.ws.close()
    await Promise.all([la.close(), lb.close(), lo.close()])
    for (const t of [a, b, flooder, other]) await t.close()
  }, 60_000)
})
