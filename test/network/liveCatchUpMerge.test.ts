import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  generateSigningKeyPair,
  MemoryChangeStore,
  ready,
  type AppendResult,
  type EntryEnvelope,
} from '@weft/core/backend'
import { EntryFactory } from '@weft/core/testing'
import { LiveSync, registerMembers, RemoteChangeStore, ServerConnection } from '@weft/client'
import { WeftServer } from '@weft/server'
import { WebSocket } from 'ws'

beforeAll(ready)

/** A memory store that records each append's size and holds up the first one (a slow disk). */
class SlowFirstAppend extends MemoryChangeStore {
  readonly sizes: number[] = []
  override async appendMany(entries: readonly EntryEnvelope[]): Promise<AppendResult> {
    this.sizes.push(entries.length)
    if (this.sizes.length === 1) await new Promise((r) => setTimeout(r, 1_000))
    return super.appendMany(entries)
  }
}

describe('LiveSync catching up on pages queued behind each other', () => {
  let server: WeftServer
  beforeAll(async () => {
    server = await WeftServer.start()
  })
  afterAll(() => server.close())

  it('appends them together, up to 2,000 entries, and ends holding exactly what the server holds', async () => {
    const tenant = `catch-up-merge-${process.pid}`
    const author = new EntryFactory(20)
    await registerMembers({ url: server.url, tenant, admin: generateSigningKeyPair(), add: [author.signer.publicKey] })
    const made = author.chains(4_000) // eight pages of 500
    const connection = new ServerConnection({ url: server.url, tenant, key: author.signer })
    const remote = new RemoteChangeStore({ connection, db: 'notes' })
    for (let i = 0; i < made.length; i += 1_000) await remote.relay(made.slice(i, i + 1_000))

    const local = new SlowFirstAppend()
    const live = new LiveSync({ local, remote, webSocket: WebSocket })
    live.start()
    try {
      await live.whenReady()
    } finally {
      await live.stop()
    }
    expect(new Set(await local.getAllChangeHashes())).toEqual(new Set(await remote.getAllChangeHashes()))
    expect(local.sizes.reduce((a, b) => a + b, 0)).toBe(made.length) // each entry appended once
    // The first page waited; the pages that queued meanwhile went in together.
    expect(Math.max(...local.sizes)).toBeGreaterThan(500)
    expect(Math.max(...local.sizes)).toBeLessThanOrEqual(2_000)
    expect(local.sizes.length).toBeLessThan(8)
  })
})
