import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, packHashes, ready, type ChangeHash } from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing'
import { decodeBody, DEFAULT_LIMITS, encodeBody, type Bodies } from '@weft/protocol'
import { healthLatency, startChildServer, type ChildServer } from './helpers/childServer.ts'
import { peakRss } from './helpers/sockets.ts'
import { setupTenant, type Device } from '../network/helpers/devices.ts'

const MB = 1024 * 1024
/** Growth of the server's memory over its idle level that each attack must stay under. */
const RSS_BOUND = 160 * MB
/** Health must answer within this while the attack runs (generous: the CI machine is shared and loaded). */
const HEALTH_BOUND_MS = 1_000

/** A `get` sent as raw HTTP, as an attacker would: status, the decoded body or error code, and the response's size. */
async function rawGet(
  server: ChildServer,
  d: Device,
  hashes: readonly string[],
  decode = true,
): Promise<{ status: number; bytes: number; body?: Bodies['get']['res']; code?: string }> {
  const res = await fetch(`${server.url}/v1/t/${encodeURIComponent(d.connection.tenant)}/db/notes/get`, {
    method: 'POST',
    headers: {
      'content-type': 'application/vnd.weft.v1+msgpack',
      authorization: `Bearer ${await d.connection.token()}`,
    },
    body: encodeBody({ hashes: packHashes(hashes as ChangeHash[]) }) as BodyInit,
  })
  const bytes = new Uint8Array(await res.arrayBuffer())
  if (!res.ok)
    return {
      status: res.status,
      bytes: bytes.length,
      code: (JSON.parse(new TextDecoder().decode(bytes)) as { code: string }).code,
    }
  return {
    status: res.status,
    bytes: bytes.length,
    ...(decode ? { body: decodeBody<Bodies['get']['res']>(bytes, Number.MAX_SAFE_INTEGER) } : {}),
  }
}

beforeAll(ready)

describe('responses are bounded', () => {
  let dir: string
  let server: ChildServer
  let a: Device
  let hashes: ChangeHash[]
  let idle: number

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weft-response-bounds-'))
    server = await startChildServer({ data: dir, authors: 'any' }, 256)
    a = (await setupTenant(server.url, { count: 1 })).devices[0]!
    // 24 entries of about 1 MB each.
    const factory = new EntryFactory(24)
    const entries = Array.from({ length: 24 }, (_, i) => envelope(factory.entry(i, [], 1_000_000)))
    await a.remote.relay(entries)
    hashes = entries.map((e) => e.hash)
    idle = server.rss()
  }, 60_000)
  afterAll(async () => {
    await server?.kill()
    await rm(dir, { recursive: true, force: true })
  })

  it('answers a get naming one 1 MB entry 600 times with that entry once', async () => {
    const { peak, result } = await peakRss(server.rss, () => rawGet(server, a, Array(600).fill(hashes[0])))
    expect(result.status).toBe(200)
    expect(result.body!.entries.map((e) => e.hash)).toEqual([hashes[0]])
    expect(result.body!.next).toBeUndefined()
    expect(result.bytes).toBeLessThan(2 * MB)
    expect(peak - idle).toBeLessThan(RSS_BOUND)
    expect(server.alive()).toBe(true)
    expect(await healthLatency(server.url)).toBeLessThan(HEALTH_BOUND_MS)
  })

  it('caps a response in bytes and pages the rest; the client follows the pages', async () => {
    const first = await rawGet(server, a, hashes)
    expect(first.status).toBe(200)
    expect(first.bytes).toBeLessThanOrEqual(DEFAULT_LIMITS.maxResponseBytes + 64 * 1024)
    expect(first.body!.next).toBe(first.body!.entries.length)
    expect(first.body!.entries.length).toBeLessThan(hashes.length)
    // RemoteChangeStore.getChanges asks again for the rest, transparently.
    const got = await a.remote.getChanges(hashes)
    expect(got.map((e) => e.hash)).toEqual(hashes)
  })

  it('keeps 30 concurrent capped gets of one tenant within its memory budget: the excess is told to retry', async () => {
    const t0 = Date.now()
    let slowest = 0
    const { peak, result } = await peakRss(server.rss, async () => {
      const probe = (async () => {
        while (Date.now() - t0 < 1_500) {
          slowest = Math.max(slowest, await healthLatency(server.url))
          await new Promise((r) => setTimeout(r, 50))
        }
      })()
      // Answers are not decoded here: the probe shares this process, and must time the server, not it.
      const answers = await Promise.all(Array.from({ length: 30 }, () => rawGet(server, a, hashes, false)))
      await probe
      return answers
    })
    expect(result.filter((r) => r.status === 200).length).toBeGreaterThan(0)
    for (const r of result)
      if (r.status !== 200) expect(r).toMatchObject({ status: 429, code: ErrorCodes.RATE_LIMITED })
    expect(result.some((r) => r.status === 429)).toBe(true)
    expect(peak - idle).toBeLessThan(RSS_BOUND)
    expect(server.alive()).toBe(true)
    expect(slowest).toBeLessThan(HEALTH_BOUND_MS)
  })
})
