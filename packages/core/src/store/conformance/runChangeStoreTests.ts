import fc from 'fast-check'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ready } from '../../crypto/index.ts'
import { ErrorCodes, isWeftError } from '../../errors.ts'
import type { ParsedEntry } from '../../entries/index.ts'
import type { ChangeHash } from '../../types.ts'
import type { ChangeStore } from '../ChangeStore.ts'
import { EntryFactory, envelope } from './fixtures.ts'
import { fingerprintTests } from './fingerprintTests.ts'
import { cursorCheckTests, indexTests, restoreTests } from './indexAndRestoreTests.ts'
import { vouchingTests } from './vouchingTests.ts'

const hex = (minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength, maxLength })

/** One store under test, and how to dispose of it. */
export interface StoreHarness {
  readonly store: ChangeStore
  /** Persistent backends: close the store and open the same data again. */
  readonly reopen?: () => Promise<ChangeStore>
  /**
   * Backends with the `restore` capability: takes a backup of the store's data now, and gives the
   * store to go on with (the same one, or the same data opened again). `restore` closes it, puts
   * the backup back in its place (same epoch, fewer entries) and opens it again, as an operator
   * restoring an older copy would; teardown disposes of that one.
   */
  readonly backup?: () => Promise<{ readonly store: ChangeStore; readonly restore: () => Promise<ChangeStore> }>
  readonly teardown: () => Promise<void>
}

/** What a backend supports; tests it cannot support are switched off here, never skipped ad hoc. */
export interface StoreCapabilities {
  /** Entries survive close and reopen (with the same epoch). */
  readonly persistent: boolean
  /** The harness can back a store up and restore it later (`StoreHarness.backup`). */
  readonly restore?: boolean
}

/**
 * The `ChangeStore` conformance suite. Every backend calls it with a factory that makes a fresh,
 * empty store per test (plus its teardown), and declares its capabilities.
 */
export function runChangeStoreTests(
  name: string,
  setup: () => Promise<StoreHarness>,
  capabilities: StoreCapabilities = { persistent: false },
): void {
  describe(`ChangeStore conformance: ${name}`, () => {
    let h: StoreHarness
    let store: ChangeStore
    const f = () => new EntryFactory()

    beforeAll(async () => {
      await ready()
    })
    beforeEach(async () => {
      h = await setup()
      store = h.store
    })
    afterEach(async () => {
      await h.teardown()
    })

    it('appends entries and returns their exact bytes', async () => {
      const es = f().entries(5)
      const r = await store.appendMany(es.map(envelope))
      expect(r.added).toEqual(es.map((e) => e.hash))
      expect(r.rejected).toEqual([])
      const got = await store.getChanges(es.map((e) => e.hash))
      expect(got.map((g) => g.hash)).toEqual(es.map((e) => e.hash))
      got.forEach((g, i) => expect(new Uint8Array(g.bytes)).toEqual(new Uint8Array(es[i]!.bytes)))
      expect(await store.has([es[0]!.hash, 'ff'.repeat(32) as ChangeHash])).toEqual([true, false])
    })

    it('leaves unknown hashes out of getChanges and keeps the order asked', async () => {
      const es = f().entries(3)
      await store.appendMany(es.map(envelope))
      const ask = [es[2]!.hash, '00'.repeat(32) as ChangeHash, es[0]!.hash]
      expect((await store.getChanges(ask)).map((g) => g.hash)).toEqual([es[2]!.hash, es[0]!.hash])
    })

    it('answers any text asked for as a hash or a document id as unknown (quotes, backslashes, any Unicode)', async () => {
      const es = f().entries(2)
      await store.appendMany(es.map(envelope))
      // Text a backend could mistake for part of a statement or a pattern; NUL is left out (no
      // SQL text type holds it).
      const tricky = fc.oneof(
        fc.constantFrom("'", "''", '\\', "\\'", '%', '_', "') OR true --", '"', '$1', ']', '*'),
        fc.string({ unit: 'binary', maxLength: 80 }).filter((s) => !s.includes('\0')),
      )
      await fc.assert(
        fc.asyncProperty(fc.array(tricky, { minLength: 1, maxLength: 4 }), async (asked) => {
          const hashes = [...asked, es[1]!.hash] as ChangeHash[]
          expect(await store.has(hashes)).toEqual([...asked.map(() => false), true])
          expect((await store.getChanges(hashes)).map((g) => g.hash)).toEqual([es[1]!.hash])
          for (const docId of asked) expect(await store.getAllChangeHashesForDoc(docId as never)).toEqual([])
        }),
        { numRuns: 25 },
      )
      expect(await store.getAllChangeHashes()).toEqual(es.map((e) => e.hash))
    })

    it('is idempotent: any sequence of appends with repeats holds each entry once', async () => {
      const pool = f().entries(12)
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(fc.nat(11), { maxLength: 6 }), { maxLength: 8 }), async (batches) => {
          const local = await setup()
          try {
            const addedEver: ChangeHash[] = []
            for (const b of batches) {
              const r = await local.store.appendMany(b.map((i) => envelope(pool[i]!)))
              addedEver.push(...r.added)
              expect(r.added.length + r.existing.length).toBe(b.length)
            }
            const unique = new Set(batches.flat().map((i) => pool[i]!.hash))
            expect(new Set(addedEver).size).toBe(addedEver.length)
            expect(new Set(addedEver)).toEqual(unique)
            expect(new Set(await local.store.getAllChangeHashes())).toEqual(unique)
            expect((await local.store.head()).count).toBe(unique.size)
          } finally {
            await local.teardown()
          }
        }),
        { numRuns: 15 },
      )
    })

    it('reports the arrival number an append reached, when it does, as head() and scan() see it', async () => {
      const pool = f().entries(12)
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(fc.nat(11), { maxLength: 6 }), { maxLength: 6 }), async (batches) => {
          const local = await setup()
          try {
            for (const b of batches) {
              const r = await local.store.appendMany(b.map((i) => envelope(pool[i]!)))
              if (r.added.length === 0) expect(r.arrived).toBeUndefined()
              if (!r.arrived) continue
              const head = await local.store.head()
              expect(r.arrived).toEqual({ epoch: head.epoch, seq: head.seq })
              const page = await local.store.scan(
                { epoch: head.epoch, seq: r.arrived.seq - r.added.length },
                { limit: r.added.length },
              )
              expect(page.entries.map((i) => [i.hash, i.seq])).toEqual(
                r.added.map((h, k) => [h, r.arrived!.seq - r.added.length + 1 + k]),
              )
            }
          } finally {
            await local.teardown()
          }
        }),
        { numRuns: 10 },
      )
    })

    it('rejects a bad entry by itself and keeps the rest of the batch', async () => {
      const es = f().entries(4)
      const bad = envelope(es[1]!)
      bad.bytes[bad.bytes.length - 100]! ^= 0x01
      const r = await store.appendMany([envelope(es[0]!), bad, envelope(es[2]!), envelope(es[3]!)])
      expect(r.added).toEqual([es[0]!.hash, es[2]!.hash, es[3]!.hash])
      expect(r.rejected.map((x) => x.error.code)).toEqual([ErrorCodes.HASH_MISMATCH])
      expect(await store.has([es[1]!.hash])).toEqual([false])
    })

    it('lists hashes in arrival order, overall and per document', async () => {
      const fx = f()
      const es = fx.entries(9)
      await store.appendMany(es.slice(0, 4).map(envelope))
      await store.appendMany(es.slice(4).map(envelope))
      expect(await store.getAllChangeHashes()).toEqual(es.map((e) => e.hash))
      const doc1 = es.filter((e) => e.header.docId === fx.docIds[1])
      expect(await store.getAllChangeHashesForDoc(fx.docIds[1]!)).toEqual(doc1.map((e) => e.hash))
    })

    it("lists each document's history in arrival order, however the appends spread over documents", async () => {
      // Up to 80 documents in one append: backends that group a batch's documents (IndexedDB,
      // 32 to a record) split it, and a document's history then spans groups and appends.
      const fx = new EntryFactory(80)
      const pool = Array.from({ length: 240 }, (_, i) => fx.entry(i % 80))
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.shuffledSubarray(pool, { minLength: 1, maxLength: 120 }), { minLength: 1, maxLength: 4 }),
          async (batches) => {
            const local = await setup()
            try {
              const arrived: ParsedEntry[] = []
              for (const b of batches) {
                const r = await local.store.appendMany(b.map(envelope))
                const added = new Set(r.added)
                arrived.push(...b.filter((e) => added.has(e.hash)))
              }
              for (const docId of fx.docIds)
                expect(await local.store.getAllChangeHashesForDoc(docId)).toEqual(
                  arrived.filter((e) => e.header.docId === docId).map((e) => e.hash),
                )
            } finally {
              await local.teardown()
            }
          },
        ),
        { numRuns: 8 },
      )
    })

    it('stores every entry kind and names each one in its scan (attachment chunks too)', async () => {
      const fx = f()
      const kinds = ['create', 'change', 'delete', 'snapshot', 'chunk'] as const
      const es = kinds.map((k) => fx.ofKind(k))
      expect((await store.appendMany(es.map(envelope))).added).toHaveLength(kinds.length)
      const scanned = async () => (await store.scan(null)).entries.map((e) => [e.hash, e.kind])
      expect(await scanned()).toEqual(es.map((e, i) => [e.hash, kinds[i]]))
      expect(await store.getAllChangeHashesForDoc(fx.docIds[0]!)).toEqual(es.map((e) => e.hash))
      if (h.reopen) {
        store = await h.reopen()
        expect(await scanned()).toEqual(es.map((e, i) => [e.hash, kinds[i]]))
      }
    })

    it('findNewChanges is the set difference, in arrival order', async () => {
      const pool = f().entries(10)
      await store.appendMany(pool.map(envelope))
      await fc.assert(
        fc.asyncProperty(
          fc.subarray(pool.map((e) => e.hash)),
          fc.array(hex(64, 64), { maxLength: 3 }),
          async (known, junk) => {
            const got = await store.findNewChanges([...known, ...(junk as ChangeHash[])])
            expect(got).toEqual(pool.map((e) => e.hash).filter((h) => !known.includes(h)))
          },
        ),
        { numRuns: 50 },
      )
    })

    it('inArrivalOrder gives the held hashes asked for, in arrival order, whatever order they are asked in', async () => {
      const pool = f().entries(12)
      await store.appendMany(pool.slice(0, 5).map(envelope))
      await store.appendMany(pool.slice(5).map(envelope))
      const arrival = await store.getAllChangeHashes()
      await fc.assert(
        fc.asyncProperty(fc.shuffledSubarray(arrival), fc.array(hex(64, 64), { maxLength: 3 }), async (asked, junk) => {
          const got = await store.inArrivalOrder!([...asked, ...(junk as ChangeHash[])])
          expect(got).toEqual(arrival.filter((h) => asked.includes(h)))
        }),
        { numRuns: 40 },
      )
    })

    it('scans in arrival order, gap-free, for any page sizes', async () => {
      const pool = f().entries(25)
      await store.appendMany(pool.slice(0, 10).map(envelope))
      await store.appendMany(pool.slice(10).map(envelope))
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 30 }), async (limits) => {
          let cursor = null
          const seen: { hash: ChangeHash; seq: number }[] = []
          for (let i = 0; ; i++) {
            const page = await store.scan(cursor, { limit: limits[i % limits.length]! })
            expect(page.reset).toBe(false)
            seen.push(...page.entries)
            cursor = page.cursor
            if (page.done) break
          }
          expect(seen.map((s) => s.hash)).toEqual(pool.map((e) => e.hash))
          expect(seen.map((s) => s.seq)).toEqual(pool.map((_, i) => i + 1))
        }),
        { numRuns: 30 },
      )
    })

    it('resumes a scan from its cursor and sees later appends', async () => {
      const pool = f().entries(6)
      await store.appendMany(pool.slice(0, 3).map(envelope))
      const first = await store.scan(null, { limit: 100 })
      expect(first.done).toBe(true)
      expect(first.cursor.seq).toBe(3)
      await store.appendMany(pool.slice(3).map(envelope))
      const next = await store.scan(first.cursor)
      expect(next.entries.map((e) => e.hash)).toEqual(pool.slice(3).map((e) => e.hash))
      expect(next.entries.map((e) => e.docId)).toEqual(pool.slice(3).map((e) => e.header.docId))
      expect(next.entries.map((e) => e.kind)).toEqual(pool.slice(3).map((e) => e.header.kind))
      const empty = await store.scan(next.cursor)
      expect(empty.entries).toEqual([])
      expect(empty.cursor).toEqual(next.cursor)
    })

    it('starts over when a cursor carries another epoch', async () => {
      const pool = f().entries(3)
      await store.appendMany(pool.map(envelope))
      const head = await store.head()
      expect(head.seq).toBe(3)
      const page = await store.scan({ epoch: `${head.epoch}-other`, seq: 2 })
      expect(page.reset).toBe(true)
      expect(page.entries.map((e) => e.hash)).toEqual(pool.map((e) => e.hash))
      expect(page.cursor.epoch).toBe(head.epoch)
    })

    it('starts over when a cursor of its epoch is past its newest entry (a store restored from an older copy)', async () => {
      const pool = f().entries(4)
      await store.appendMany(pool.slice(0, 2).map(envelope))
      const head = await store.head()
      // A cursor from a copy of this store that had taken 5 more entries.
      const ahead = { epoch: head.epoch, seq: head.seq + 5 }
      const page = await store.scan(ahead)
      expect(page.reset).toBe(true)
      expect(page.entries.map((e) => e.hash)).toEqual(pool.slice(0, 2).map((e) => e.hash))
      // Entries appended from here on are not skipped by anyone who started over.
      await store.appendMany(pool.slice(2).map(envelope))
      const next = await store.scan(page.cursor)
      expect(next.reset).toBe(false)
      expect(next.entries.map((e) => e.hash)).toEqual(pool.slice(2).map((e) => e.hash))
      // At the head exactly is no reset.
      expect((await store.scan(next.cursor)).reset).toBe(false)
    })

    it('tells subscribers about new entries only', async () => {
      const pool = f().entries(3)
      const heard: ChangeHash[][] = []
      const off = store.subscribe((added) => heard.push([...added]))
      await store.appendMany(pool.slice(0, 2).map(envelope))
      await store.appendMany(pool.map(envelope))
      off()
      await store.append(envelope(f().entry()))
      expect(heard).toEqual([[pool[0]!.hash, pool[1]!.hash], [pool[2]!.hash]])
    })

    it('keeps its own copy of appended bytes', async () => {
      const e = envelope(f().entry())
      await store.append(e)
      e.bytes.fill(0)
      const [got] = await store.getChanges([e.hash])
      expect(got!.bytes.some((b) => b !== 0)).toBe(true)
    })

    it('stores the bytes it was given at the call, whatever the caller does to them before the append settles', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 5 }),
          fc.nat(),
          fc.nat(),
          fc.constantFrom('at once', 'after a microtask', 'after a timer'),
          async (n, which, at, when) => {
            const pool = f().entries(n)
            const sent = pool.map(envelope) // plain envelopes: their signatures are checked after the call
            const heard: ChangeHash[] = []
            const off = store.subscribe((added) => heard.push(...added))
            const pending = store.appendMany(sent)
            const spoil = () => {
              const bytes = sent[which % n]!.bytes
              const i = at % bytes.length
              bytes[i] = bytes[i]! ^ 0xff
              sent[(which + 1) % n]!.bytes.fill(0)
            }
            if (when === 'at once') spoil()
            else if (when === 'after a microtask') await Promise.resolve().then(spoil)
            else await new Promise((r) => setTimeout(r, 0)).then(spoil)
            const r = await pending
            off()
            expect(r.rejected).toEqual([])
            expect(r.added).toEqual(pool.map((e) => e.hash))
            expect(heard).toEqual(r.added)
            const got = await store.getChanges(pool.map((e) => e.hash))
            expect(got.map((e) => [...e.bytes])).toEqual(pool.map((e) => [...e.bytes]))
          },
        ),
        { numRuns: 12 },
      )
    })

    it('hands out gap-free arrival numbers under concurrent appends', async () => {
      const pool = f().entries(40)
      const batches = [0, 1, 2, 3].map((k) => pool.filter((_, i) => i % 4 === k).map(envelope))
      const results = await Promise.all([...batches, batches[0]!].map((b) => store.appendMany(b)))
      expect(results.flatMap((r) => r.added).length).toBe(40)
      const page = await store.scan(null, { limit: 1000 })
      expect(page.entries.map((e) => e.seq)).toEqual(pool.map((_, i) => i + 1))
      expect(new Set(page.entries.map((e) => e.hash)).size).toBe(40)
      // appends commit in the order they were called, whatever order their checks finish in
      expect(page.entries.map((e) => e.hash)).toEqual(results.flatMap((r) => r.added))
    })

    it('fails with WEFT_CLOSED after close', async () => {
      await store.close()
      await expect(store.getAllChangeHashes()).rejects.toSatisfy((e) => isWeftError(e, ErrorCodes.CLOSED))
      await expect(store.append(envelope(f().entry()))).rejects.toSatisfy((e) => isWeftError(e, ErrorCodes.CLOSED))
    })

    indexTests(setup)
    fingerprintTests(() => h)
    cursorCheckTests(() => h)
    vouchingTests(setup, () => h, capabilities.persistent)
    if (capabilities.restore) restoreTests(() => h)

    if (capabilities.persistent) {
      it('keeps entries, order and epoch across close and reopen, and continues numbering', async () => {
        const pool = f().entries(8)
        await store.appendMany(pool.slice(0, 5).map(envelope))
        const before = await store.head()
        const reopened = await h.reopen!()
        store = reopened
        expect(await reopened.head()).toEqual(before)
        expect(await reopened.getAllChangeHashes()).toEqual(pool.slice(0, 5).map((e) => e.hash))
        await reopened.appendMany(pool.slice(5).map(envelope))
        const page = await reopened.scan({ epoch: before.epoch, seq: 5 })
        expect(page.reset).toBe(false)
        expect(page.entries.map((e) => e.seq)).toEqual([6, 7, 8])
      })
    }
  })
}
