// A large append to a server goes as a few push requests, two on the wire at once: every entry's
// outcome is reported as the server decided it, and a request that fails stops the rest.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, generateSigningKeyPair, ready, type SigningKeyPair } from '@weft/core/backend'
import { EntryFactory, envelope, withBadSignature } from '@weft/core/testing'
import { WeftServer } from '@weft/server'
import { registerMembers, RemoteChangeStore, ServerConnection } from '../src/index.ts'

let server: WeftServer
let key: SigningKeyPair

beforeAll(async () => {
  await ready()
  key = generateSigningKeyPair()
  server = await WeftServer.start({ authors: 'any' })
  await registerMembers({ url: server.url, tenant: 'relay', admin: key, seq: 1 })
})
afterAll(async () => {
  await server?.close()
})

/**
 * A fetch that records each push request's body (a retry sends the same one) and how many pushes
 * were on the wire at once; every try of the `failing`th request fails as a reset connection.
 */
function watchedFetch(failing?: number) {
  const bodies: unknown[] = []
  let inFlight = 0
  let most = 0
  const fetch: typeof globalThis.fetch = async (input, init) => {
    if (!String(input).endsWith('/push')) return globalThis.fetch(input, init)
    if (!bodies.includes(init?.body)) bodies.push(init?.body)
    if (bodies.indexOf(init?.body) + 1 === failing) throw new TypeError('connection reset')
    inFlight++
    most = Math.max(most, inFlight)
    try {
      return await globalThis.fetch(input, init)
    } finally {
      inFlight--
    }
  }
  return { fetch, requests: () => bodies.length, most: () => most }
}

/** `count` entries, each the first of its own document; those at `bad` carry a bad signature and no voucher. */
function entries(count: number, bad: ReadonlySet<number>) {
  const f = new EntryFactory(count)
  return Array.from({ length: count }, (_, i) => (bad.has(i) ? withBadSignature(f.entry(i)) : envelope(f.entry(i))))
}

describe('pushing a large batch to a server', () => {
  it('sends it as four requests, two at a time, and reports each entry as the server decided', async () => {
    const watch = watchedFetch()
    const remote = new RemoteChangeStore({
      connection: new ServerConnection({ url: server.url, tenant: 'relay', key, fetch: watch.fetch }),
      db: 'split',
    })
    const bad = new Set([3, 420, 999]) // in the first, second and last request
    const batch = entries(1_000, bad)
    const r = await remote.relay(batch)
    expect(watch.requests()).toBe(4)
    expect(watch.most()).toBe(2)
    expect(new Set(r.added)).toEqual(new Set(batch.filter((_, i) => !bad.has(i)).map((e) => e.hash)))
    expect(r.rejected.map((x) => [x.hash, x.error.code])).toEqual(
      [...bad].map((i) => [batch[i]!.hash, ErrorCodes.BAD_SIGNATURE]),
    )
    expect((await remote.head()).count).toBe(997)
    // Offered again, every good entry is held already and every bad one refused again.
    const again = await remote.relay(batch)
    expect(again.added).toEqual([])
    expect(again.existing).toHaveLength(997)
    expect(again.rejected).toHaveLength(3)
    // A batch of 250 or fewer goes whole.
    await remote.relay(entries(250, new Set()))
    expect(watch.requests()).toBe(9)
    await remote.close()
  })

  it('stops at a request that fails: it throws once those on the wire settle, and sends no later one', async () => {
    const watch = watchedFetch(2)
    const remote = new RemoteChangeStore({
      connection: new ServerConnection({ url: server.url, tenant: 'relay', key, fetch: watch.fetch }),
      db: 'fails',
    })
    await expect(remote.relay(entries(1_000, new Set()))).rejects.toMatchObject({ code: ErrorCodes.NETWORK })
    // The first request, the second (failed), and the third only if the first was answered before
    // the second failed; never the fourth. What was sent is stored.
    const sent = watch.requests()
    expect([2, 3]).toContain(sent)
    expect((await remote.head()).count).toBe((sent - 1) * 250)
    await remote.close()
  })
})
