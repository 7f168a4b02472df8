import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryChangeStore, ready } from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing'
import { LiveSync } from '@weft/client'
import { WeftServer } from '@weft/server'
import { WebSocket } from 'ws'
import { setupTenant } from '../network/helpers/devices.ts'

beforeAll(ready)

describe('live sync of large entries', () => {
  let server: WeftServer
  beforeAll(async () => {
    server = await WeftServer.start({ authors: 'any' })
  })
  afterAll(() => server.close())

  it('delivers 120 entries of 1 MB: socket pages are capped in bytes, well under the 100 MiB message limit', async () => {
    const {
      devices: [a],
    } = await setupTenant(server.url, { count: 1 })
    const factory = new EntryFactory(120)
    const entries = Array.from({ length: 120 }, (_, i) => envelope(factory.entry(i, [], 1_000_000)))
    await a!.remote.relay(entries)

    const local = new MemoryChangeStore()
    const live = new LiveSync({
      local,
      remote: a!.remote,
      webSocket: WebSocket,
      backoff: { initialMs: 50, maxMs: 500 },
    })
    const errors: string[] = []
    live.subscribe((s) => 'error' in s && s.error && errors.push(s.error.code))
    live.start()
    await live.whenReady({ signal: AbortSignal.timeout(60_000) })
    expect((await local.getAllChangeHashes()).sort()).toEqual(entries.map((e) => e.hash).sort())
    expect(errors).toEqual([]) // it never had to reconnect
    await live.close()
  }, 90_000)
})
