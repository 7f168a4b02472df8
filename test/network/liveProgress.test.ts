import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSigningKeyPair, MemoryChangeStore, ready } from '@weft/core/backend'
import type { SyncProgress } from '@weft/core'
import { EntryFactory } from '@weft/core/testing'
import { LiveSync, registerMembers, RemoteChangeStore, ServerConnection, type LiveSyncCompleted } from '@weft/client'
import { WeftServer } from '@weft/server'
import { WebSocket } from 'ws'
import { setupTenant } from './helpers/devices.ts'

const N = 10_000
const backoff = { initialMs: 50, maxMs: 500 }

/** Reports of one run: entries and bytes never shrink, totals never trail entries, one `done` last. */
function checkRun(reports: readonly SyncProgress[], total: number): void {
  expect(reports.length).toBeGreaterThan(2)
  expect(reports.filter((r) => r.phase === 'done')).toHaveLength(1)
  expect(reports.at(-1)).toMatchObject({ phase: 'done', entries: total, totalEntries: total })
  for (let i = 1; i < reports.length; i++) {
    expect(reports[i]!.entries).toBeGreaterThanOrEqual(reports[i - 1]!.entries)
    expect(reports[i]!.bytes).toBeGreaterThanOrEqual(reports[i - 1]!.bytes)
  }
  for (const r of reports) if (r.totalEntries !== undefined) expect(r.entries).toBeLessThanOrEqual(r.totalEntries)
}

beforeAll(ready)

describe('LiveSync progress', () => {
  let server: WeftServer
  beforeAll(async () => {
    server = await WeftServer.start()
  })
  afterAll(() => server.close())

  it(`a ${N.toLocaleString('en')}-entry catch-up reports monotonic progress, a final total and a completed event`, async () => {
    // One author's entries, made once and in chains (one per document, as a database writes them):
    // cheap to make, and the server and the reader verify only the chains' tips.
    const tenant = `live-progress-${process.pid}`
    const author = new EntryFactory(50)
    const reader = generateSigningKeyPair()
    const url = server.url
    await registerMembers({
      url,
      tenant,
      admin: generateSigningKeyPair(),
      add: [author.signer.publicKey, reader.publicKey],
    })
    const remote = (key: typeof reader) =>
      new RemoteChangeStore({ connection: new ServerConnection({ url, tenant, key }), db: 'notes' })
    const writer = remote(author.signer)
    const made = author.chains(N + 1)
    const all = made.slice(0, N)
    for (let i = 0; i < all.length; i += 1_000) await writer.relay(all.slice(i, i + 1_000))

    const local = new MemoryChangeStore()
    const reports: SyncProgress[] = []
    const events: SyncProgress[] = []
    const completed: LiveSyncCompleted[] = []
    const live = new LiveSync({
      local,
      remote: remote(reader),
      webSocket: WebSocket,
      backoff,
      onProgress: (p) => reports.push(p),
      progressInterval: 0,
    })
    live.on('sync-progress', (p) => events.push(p))
    live.on('sync-completed', (c) => completed.push(c))
    live.start()
    await live.whenReady()
    checkRun(reports, N)
    expect(events).toEqual(reports)
    const bytes = all.reduce((s, e) => s + e.bytes.length, 0)
    expect(reports.at(-1)!.bytes).toBe(bytes)
    expect(completed).toHaveLength(1)
    expect(completed[0]).toMatchObject({ received: N, sent: 0, bytes })

    // Entries the server pushes while up to date are not a catch-up; local ones sent are.
    await writer.relay(made.slice(N))
    await expect.poll(async () => (await local.getAllChangeHashes()).length, { timeout: 10_000 }).toBe(N + 1)
    expect(completed).toHaveLength(1)
    const before = reports.length
    await live.stop()
    await local.appendMany([author.entry(7)])
    live.start()
    await live.whenReady()
    checkRun(reports.slice(before), 1)
    expect(completed.at(-1)).toMatchObject({ received: 0, sent: 1 })
    await live.close()
  })

  it('with a long interval only the first report and the last of a catch-up go out', async () => {
    const {
      devices: [a, b],
    } = await setupTenant(server.url)
    for (let n = 0; n < 50; n++) await a!.db.createDocument({ data: { n } })
    await a!.db.pushChangesTo(a!.remote)
    const reports: SyncProgress[] = []
    const live = new LiveSync({
      local: b!.db,
      remote: b!.remote,
      webSocket: WebSocket,
      backoff,
      onProgress: (p) => reports.push(p),
      progressInterval: 60_000,
    })
    live.start()
    await live.whenReady()
    expect(reports[0]).toMatchObject({ phase: 'copy', entries: 0 })
    expect(reports.filter((r) => r.phase === 'copy')).toHaveLength(1)
    expect(reports.at(-1)).toMatchObject({ phase: 'done', entries: 50, totalEntries: 50 })
    expect(await b!.db.getAllDocumentIds()).toHaveLength(50)
    await live.close()
  })
})
