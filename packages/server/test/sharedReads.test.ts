import fc from 'fast-check'
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { MemoryChangeStore, ready, type ChangeHash, type ScanPage } from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing'
import { decodeBody, type ServerSocketMessage } from '@weft/protocol'
import { encodePage, readPageShared, scanShared, storedSince } from '../src/sharedReads.ts'

beforeAll(async () => {
  await ready()
})

// The reads of a turn are shared until the turn's check phase. Held here, that window stays open
// across the appends below, as it does on a server when a read begins in one immediate callback
// and an append lands in a later one of the same phase.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setImmediate', 'clearImmediate'] })
})
afterEach(() => {
  vi.useRealTimers()
})

function countingStore(): { store: MemoryChangeStore; scans: () => number } {
  const store = new MemoryChangeStore()
  let n = 0
  const scan = store.scan.bind(store)
  store.scan = (...args) => (n++, scan(...args))
  store.subscribe((added) => storedSince(store, added)) // what a live subscription does with each notice
  return { store, scans: () => n }
}

describe('live push reads shared between subscribers', () => {
  it('a scan asked for after an append notice reads anew, so it sees what that append stored', async () => {
    const { store } = countingStore()
    const [e] = new EntryFactory().entries(1).map(envelope)
    const early = scanShared(store, null, 10) // begun before the append
    await store.appendMany([e!])
    const late = scanShared(store, null, 10) // woken by the append's notice
    expect((await early).entries).toHaveLength(0)
    expect((await late).entries.map((x) => x.hash)).toEqual([e!.hash])
  })

  it('subscribers woken by one notice share one read', async () => {
    const { store, scans } = countingStore()
    const pages: Promise<ScanPage>[] = []
    for (let i = 0; i < 5; i++) store.subscribe(() => pages.push(scanShared(store, null, 10)))
    await store.appendMany(new EntryFactory().entries(2).map(envelope))
    expect(new Set(pages).size).toBe(1)
    expect((await pages[0]!).entries).toHaveLength(2)
    expect(scans()).toBe(1)
  })

  it('every scan asked for after a notice sees what that notice announced, in any interleaving (property)', async () => {
    const f = new EntryFactory()
    const op = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 }))
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 12 }), async (ops) => {
        const { store } = countingStore()
        const announced = new Set<string>()
        const scans: { expected: string[]; page: Promise<ScanPage> }[] = []
        for (const n of ops) {
          if (n === 0) scans.push({ expected: [...announced], page: scanShared(store, null, 100) })
          else for (const h of (await store.appendMany(f.entries(n).map(envelope))).added) announced.add(h)
        }
        for (const s of scans) {
          const got = new Set((await s.page).entries.map((e) => e.hash))
          expect(s.expected.filter((h) => !got.has(h as ChangeHash))).toEqual([])
        }
      }),
      { numRuns: 60 },
    )
  })

  it("subscribers sending one page share its read and its message's encoding; another position gets its own", async () => {
    const store = new MemoryChangeStore()
    let reads = 0
    const upTo = store.getChangesUpTo.bind(store)
    store.getChangesUpTo = (...args) => (reads++, upTo(...args))
    const entries = new EntryFactory().entries(3).map(envelope)
    await store.appendMany(entries)
    const hashes = entries.map((e) => e.hash)
    const limits = { maxBytes: 1 << 20, maxEntryBytes: 1 << 16 }
    const page = await scanShared(store, null, 10)
    const [a, b] = await Promise.all([readPageShared(store, hashes, limits), readPageShared(store, hashes, limits)])
    expect(a).toBe(b)
    expect(reads).toBe(1)
    const at = { db: 'notes', cursor: page.cursor, reset: false, done: true }
    const bytes = encodePage(a!, at)
    expect(encodePage(b!, { ...at })).toBe(bytes) // the same bytes object: encoded once
    expect(decodeBody<ServerSocketMessage>(bytes, 1 << 20)).toEqual({
      type: 'entries',
      ...at,
      entries: entries.map((e) => ({ hash: e.hash, bytes: e.bytes })),
    })
    const other = encodePage(a!, { ...at, done: false })
    expect(other).not.toBe(bytes)
    expect(decodeBody<ServerSocketMessage>(other, 1 << 20)).toMatchObject({ type: 'entries', done: false })
  })
})
