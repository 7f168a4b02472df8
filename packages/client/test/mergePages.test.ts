import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { ServerSocketMessage } from '@weft/protocol'
import { takeMerged, type Received } from '../src/mergePages.ts'

// A client catching up has many pages queued behind each other; merging them must hand the store
// the same entries in the same order, with the cursor of the last page merged, and never merge
// across a socket, a database, another kind of message or the end of a catch-up.

const MAX = { entries: 7, bytes: 40 }
const sockets = [{ id: 'a' }, { id: 'b' }]
let n = 0

const arbReceived: fc.Arbitrary<Received> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record({
        ws: fc.constantFrom(...sockets),
        db: fc.constantFrom('x', 'y'),
        sizes: fc.array(fc.nat({ max: 12 }), { maxLength: MAX.entries + 2 }),
        done: fc.boolean(),
        reset: fc.boolean(),
      })
      .map(({ ws, db, sizes, done, reset }) => {
        const seq = n++
        const entries = sizes.map((size, i) => ({ hash: `${seq}.${i}`, bytes: new Uint8Array(size) }))
        const m: ServerSocketMessage = { type: 'entries', db, entries, cursor: { epoch: 'e', seq }, done, reset }
        return { ws, m }
      }),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(...sockets)
      .map((ws) => ({ ws, m: { type: 'error', code: 'E', message: 'm' } as const })),
  },
)

type Entries = Extract<ServerSocketMessage, { type: 'entries' }>
const hashes = (m: Entries) => m.entries.map((e) => e.hash)
const bytes = (m: Entries) => m.entries.reduce((n, e) => n + e.bytes.length, 0)

describe('takeMerged', () => {
  it('partitions the inbox into runs of pages merged greedily, entries and order kept, the last cursor carried', () => {
    fc.assert(
      fc.property(fc.array(arbReceived, { maxLength: 30 }), (input) => {
        const inbox = [...input]
        let i = 0 // how much of the input the outputs so far stand for
        while (inbox.length) {
          const before = inbox.length
          const out = takeMerged(inbox, MAX)!
          const taken = input.slice(i, i + before - inbox.length)
          i += taken.length
          expect(taken.length).toBeGreaterThan(0)
          if (taken.length === 1) expect(out).toBe(taken[0]) // alone: handed on as it came
          if (out.m.type !== 'entries') {
            expect(taken).toHaveLength(1)
            continue
          }
          const pages = taken.map((t) => t.m as Entries)
          for (const t of taken) expect(t.ws).toBe(out.ws)
          for (const p of pages) expect([p.type, p.db]).toEqual(['entries', out.m.db])
          for (const p of pages.slice(0, -1)) expect(p.done).toBe(false)
          expect(hashes(out.m)).toEqual(pages.flatMap(hashes))
          expect(out.m.cursor).toBe(pages.at(-1)!.cursor)
          expect(out.m.done).toBe(pages.at(-1)!.done)
          expect(out.m.reset).toBe(pages.some((p) => p.reset))
          if (taken.length > 1) {
            expect(out.m.entries.length).toBeLessThanOrEqual(MAX.entries)
            expect(bytes(out.m)).toBeLessThanOrEqual(MAX.bytes)
          }
          // Greedy: what follows could not have joined.
          const next = inbox[0]
          if (next && !out.m.done && next.ws === out.ws && next.m.type === 'entries' && next.m.db === out.m.db)
            expect(
              out.m.entries.length + next.m.entries.length > MAX.entries || bytes(out.m) + bytes(next.m) > MAX.bytes,
            ).toBe(true)
        }
        expect(i).toBe(input.length)
      }),
    )
  })

  it('hands nothing back from an empty inbox', () => {
    expect(takeMerged([], MAX)).toBeUndefined()
  })
})
