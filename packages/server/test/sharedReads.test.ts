import fc from 'fast-check'
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { MemoryChangeStore, ready, type ChangeHash, type ScanPage } from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing'
import { scanShared, storedSince } from '../src/sharedReads.ts'

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
})
