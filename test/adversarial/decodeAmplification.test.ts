import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, ready } from '@weft/core'
import { healthLatency, startChildServer, type ChildServer } from './helpers/childServer.ts'
import { rawRequest, signedInMember, type RawAnswer } from './helpers/rawRequest.ts'

// Issue 10, item 1: 8 MiB of empty MessagePack maps once took 1.2 GB and blocked the event loop
// for 4 s, and reached the decoder before the session was checked. Here the server runs in a
// child process with a 128 MiB heap: every attack body is refused (with a typed error), the
// server stays alive, its memory bounded, and its health check answers within 200 ms throughout.

const MiB = 1024 * 1024
const HEAP_MB = 128
/** Resident memory the server may reach under attack: far below what decoding one attack body took (1.2 GB). */
const RSS_BOUND = 400 * MiB

beforeAll(ready)

/**
 * Health latency under attack: the typical probe (the median) within 200 ms, and none past 2 s.
 * The probes run in the attacking process, on a machine other tests share, so a slow probe may be
 * the machine rather than the server; before the fix the server died, or every probe during an
 * attack waited seconds.
 */
function expectHealthy(latencies: number[]): void {
  const sorted = [...latencies].sort((a, b) => a - b)
  expect(sorted.length).toBeGreaterThan(5)
  expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(200)
  expect(sorted[sorted.length - 1]).toBeLessThan(2_000)
}

/** `{ <field>: [<count> × item] }`, declared with a 32-bit array length. */
function flood(field: string, count: number, item: number[]): Uint8Array {
  const name = new TextEncoder().encode(field)
  const head = [
    0x81,
    0xa0 | name.length,
    ...name,
    0xdd,
    (count >>> 24) & 0xff,
    (count >>> 16) & 0xff,
    (count >>> 8) & 0xff,
    count & 0xff,
  ]
  const out = new Uint8Array(head.length + count * item.length)
  out.set(head)
  for (let i = 0, at = head.length; i < count; i++, at += item.length) out.set(item, at)
  return out
}

/** The attack bodies, each about 8 MiB. */
const ATTACKS: Record<string, Uint8Array> = {
  'empty maps': flood('entries', 8 * MiB - 16, [0x80]),
  'tiny values': flood('entries', 8 * MiB - 16, [0xc0]),
  'entry-shaped maps': flood(
    'entries',
    (8 * MiB - 16) / 8,
    [0x82, 0xa1, 0x68, 0xc0, 0xa1, 0x62, 0x90, 0xc0].slice(0, 8),
  ),
  'deep nesting': new Uint8Array(8 * MiB).fill(0x91),
  'huge declared lengths': new Uint8Array([
    0x81,
    0xa7,
    ...new TextEncoder().encode('entries'),
    0xdd,
    0xff,
    0xff,
    0xff,
    0xff,
    ...new Uint8Array(8 * MiB - 14).fill(0xdf),
  ]),
}

describe('decode amplification', () => {
  let server: ChildServer
  let token: string
  const tenant = 'amplified'
  beforeAll(async () => {
    // Rate limits out of the way: this test is about what one request costs.
    server = await startChildServer({ limits: { requestsPerSecond: 100_000, burst: 100_000 } }, HEAP_MB)
    token = (await signedInMember(server.url, tenant)).token
  })
  afterAll(() => server.kill())

  /** Runs `attack` repeatedly (2 at a time) for `ms`, sampling health latency and RSS meanwhile. */
  async function underAttack(attack: () => Promise<RawAnswer>, ms = 2_000) {
    const answers: RawAnswer[] = []
    const health: number[] = []
    let rss = 0
    const until = Date.now() + ms
    const attackers = Array.from({ length: 2 }, async () => {
      while (Date.now() < until) answers.push(await attack())
    })
    const watcher = (async () => {
      while (Date.now() < until) {
        health.push(await healthLatency(server.url, 2_000))
        if (server.alive()) rss = Math.max(rss, server.rss())
        await new Promise((r) => setTimeout(r, 50))
      }
    })()
    await Promise.all([...attackers, watcher])
    return { answers, health, rss }
  }

  for (const [name, body] of Object.entries(ATTACKS)) {
    it(`refuses ${name} from a signed-in client before decoding them, and keeps answering health`, async () => {
      const { answers, health, rss } = await underAttack(() =>
        rawRequest(`${server.url}/v1/t/${tenant}/db/notes/push`, {
          body,
          headers: { authorization: `Bearer ${token}` },
        }),
      )
      expect(server.alive(), server.stderr()).toBe(true)
      expect(answers.length).toBeGreaterThan(0)
      for (const a of answers) {
        expect(a.status === 413 || a.status === 400, JSON.stringify(a)).toBe(true)
        expect([ErrorCodes.PAYLOAD_TOO_LARGE, ErrorCodes.PROTOCOL]).toContain(a.code)
      }
      expectHealthy(health)
      expect(rss).toBeLessThan(RSS_BOUND)
    })
  }

  it('never reads the body of a request without a valid session: 401 at once, memory flat', async () => {
    const body = ATTACKS['empty maps']!
    const before = server.rss()
    const { answers, health, rss } = await underAttack(() =>
      rawRequest(`${server.url}/v1/t/${tenant}/db/notes/push`, {
        body,
        headers: { authorization: `Bearer not-a-session-${Math.random()}` },
      }),
    )
    expect(server.alive(), server.stderr()).toBe(true)
    for (const a of answers) expect(a).toMatchObject({ status: 401, code: ErrorCodes.UNAUTHORIZED })
    // Answered without waiting for the 8 MiB, and nothing of it kept.
    expect(Math.min(...answers.map((a) => a.ms))).toBeLessThan(200)
    expect(rss - before).toBeLessThan(64 * MiB)
    expectHealthy(health)
  })

  it('gives the operations before sign-in a small body limit', async () => {
    for (const op of ['register', 'challenge', 'session']) {
      const a = await rawRequest(`${server.url}/v1/t/${tenant}/${op}`, { body: ATTACKS['empty maps']! })
      expect(a, op).toMatchObject({ status: 413, code: ErrorCodes.PAYLOAD_TOO_LARGE })
    }
    expect(server.alive()).toBe(true)
    expect(await healthLatency(server.url)).toBeLessThan(200)
  })

  it('still serves the tenant afterwards', async () => {
    const { connection } = await signedInMember(server.url, 'after-the-attack')
    await expect(connection.db('notes', 'head', {})).resolves.toMatchObject({ count: 0 })
  })
})
