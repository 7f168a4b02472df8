import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { chunkLengths, MemoryStoreFactory, ready, TenantFactory, TEST_KDF, type Document } from '../src/index.ts'
import { noiseBytes as bytes } from '../src/store/conformance/fixtures.ts'

beforeAll(ready)

const SIZES = { min: 256, avg: 1024, max: 4096 }

/** Cut positions (chunk ends) of `lengths`. */
function cuts(lengths: number[]): number[] {
  let at = 0
  return lengths.map((l) => (at += l))
}

describe('content-defined chunking', () => {
  it('an insertion moves only the cuts near it: every cut before it stays, the cuts after it come back shifted', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 1, max: 200 }),
        (seed, at, n) => {
          const original = bytes(128_000, seed)
          const inserted = bytes(n, seed ^ 0x5bd1e995)
          const edited = new Uint8Array(original.length + n)
          edited.set(original.subarray(0, at))
          edited.set(inserted, at)
          edited.set(original.subarray(at), at + n)
          const a = chunkLengths(original, SIZES)
          const b = chunkLengths(edited, SIZES)
          for (const l of [...a.slice(0, -1), ...b.slice(0, -1)]) {
            expect(l).toBeGreaterThanOrEqual(SIZES.min)
            expect(l).toBeLessThanOrEqual(SIZES.max)
          }
          const before = cuts(a)
          const after = cuts(b)
          // A cut depends only on the bytes before it: those up to the insertion are the same.
          expect(after.filter((c) => c <= at)).toEqual(before.filter((c) => c <= at))
          // Past a cut both share (shifted by n), every cut is shared: the rest of the file chunks alike.
          const shifted = new Set(before.map((c) => c + n))
          const firstShared = after.findIndex((c) => c > at && shifted.has(c))
          expect(firstShared).toBeGreaterThanOrEqual(0)
          const rest = after.slice(firstShared)
          expect(rest).toEqual(before.filter((c) => c + n >= rest[0]!).map((c) => c + n))
          // Chunking finds its way back soon: at the first cut the stricter mask agrees on (1 in
          // 4 KiB here), a few chunks on average; over 48 KiB would be odds of e^-12.
          expect(rest[0]! - at).toBeLessThanOrEqual(48 * 1024)
        },
      ),
      { numRuns: 60 },
    )
  })
})

describe('ranged reads', () => {
  let doc: Document
  const data = bytes(40_000, 42)

  beforeAll(async () => {
    const factory = new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF })
    const db = await (await factory.createTenant({ tenantId: 'ranges', password: 'pw' })).openDB('files')
    const created = await db.createDocument()
    await db.changeDoc(created, (d) => d.addAttachment('data.bin', data, { chunkSizes: SIZES }))
    doc = (await db.getDocument(created.getId()))!
  })

  it('any byte range read equals the slice of the original', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -10, max: 40_010 }), fc.integer({ min: -10, max: 40_010 }), async (s, e) => {
        const parts: Uint8Array[] = []
        for await (const p of doc.streamAttachment('data.bin', { start: s, end: e })) parts.push(p.slice())
        const got = Buffer.concat(parts)
        const from = Math.max(0, s)
        const to = Math.min(data.length, e)
        expect(new Uint8Array(got)).toEqual(to > from ? data.slice(from, to) : new Uint8Array())
      }),
      { numRuns: 50 },
    )
  })
})
