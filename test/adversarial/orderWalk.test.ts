import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyMissingEntries, MemoryChangeStore, packHashes, ready, type ChangeHash } from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing'
import { RemoteChangeStore, ServerConnection } from '@weft/client'
import type { Bodies } from '@weft/protocol'
import { WeftServer } from '@weft/server'
import { setupTenant } from '../network/helpers/devices.ts'

/** A small page, so that a walk of the server's whole order takes several requests. */
const limits = { maxHashesPerRequest: 20 }

beforeAll(ready)

describe('order', () => {
  let server: WeftServer
  beforeAll(async () => {
    server = await WeftServer.start({ authors: 'any', limits })
  })
  afterAll(() => server.close())

  it('walks a bounded stretch of the arrival order per request, and the client follows the cursor', async () => {
    const {
      tenantId,
      devices: [a],
    } = await setupTenant(server.url, { count: 1 })
    let orders = 0
    const counting: typeof fetch = (input, init) => {
      if (String(input).endsWith('/order')) orders++
      return fetch(input, init)
    }
    const connection = new ServerConnection({ url: server.url, tenant: tenantId, key: a!.key, limits, fetch: counting })
    const remote = new RemoteChangeStore({ connection, db: 'notes' })
    const factory = new EntryFactory(300)
    const entries = Array.from({ length: 300 }, (_, i) => envelope(factory.entry(i)))
    for (let i = 0; i < entries.length; i += 20) await remote.relay(entries.slice(i, i + 20))
    const hashes = entries.map((e) => e.hash)

    // One request walks at most 5 pages (100 positions): the last entry is not found in the first.
    const first: Bodies['order']['res'] = await connection.db('notes', 'order', {
      hashes: packHashes([hashes[299]!]),
      since: null,
    })
    expect(first).toMatchObject({ done: false, cursor: { seq: 100 } })
    expect(first.hashes.length).toBe(0)

    // findNewChanges: a few early entries and the last ones, in arrival order, over several requests.
    const lacking = new Set<ChangeHash>([hashes[3]!, hashes[150]!, ...hashes.slice(285)]) // one run of at most 20: ordered as one
    orders = 0
    const found = await remote.findNewChanges(hashes.filter((h) => !lacking.has(h)))
    expect(found).toEqual(hashes.filter((h) => lacking.has(h)))
    expect(orders).toBeGreaterThanOrEqual(3)
  })

  it('orders more hashes than one request takes by their arrival numbers, and a copy follows that order', async () => {
    const {
      tenantId,
      devices: [a],
    } = await setupTenant(server.url, { count: 1 })
    const connection = new ServerConnection({ url: server.url, tenant: tenantId, key: a!.key, limits })
    const remote = new RemoteChangeStore({ connection, db: 'chains' })
    const factory = new EntryFactory(90)
    const entries = Array.from({ length: 90 }, (_, i) => envelope(factory.entry(i)))
    for (let i = 0; i < entries.length; i += 20) await remote.relay(entries.slice(i, i + 20))
    const arrival = entries.map((e) => e.hash)

    // 90 hashes asked in hash order: five requests of at most 20, merged into one arrival order.
    expect(await remote.inArrivalOrder([...arrival].sort())).toEqual(arrival)

    // A copy of more than one batch takes the entries in the server's arrival order, not in the
    // hash order reconciliation finds them in.
    const target = new MemoryChangeStore()
    const copied = await copyMissingEntries(remote, target, { batchSize: 25 })
    expect(copied.added).toEqual(arrival)
    expect(await target.getAllChangeHashes()).toEqual(arrival)
  })
})
