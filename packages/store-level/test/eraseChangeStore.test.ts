import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MemoryStoreFactory, ready } from '@weft/core/backend'
import { EntryFactory } from '@weft/core/testing'
import { LevelStoreFactory } from '../src/index.ts'
import { tempDir } from './helpers/tempDir.ts'

const names = fc.uniqueArray(
  fc.tuple(fc.constantFrom('acme', 'acme2', 'ac', 'é~!', 'a"b'), fc.constantFrom('db', 'orders', 'x y', '~1')),
  { minLength: 1, maxLength: 8, selector: ([t, d]) => `${t}/${d}` },
)

describe('listing and erasing change stores', () => {
  it('LevelDB and memory list exactly the stores under a prefix, and erase one leaving the rest (property)', async () => {
    await ready()
    const entries = new EntryFactory(2)
    await fc.assert(
      fc.asyncProperty(names, fc.nat(), async (pairs, pick) => {
        const dir = await tempDir()
        const factories = [new LevelStoreFactory({ path: dir.path }), new MemoryStoreFactory()]
        try {
          for (const f of factories) {
            const all = pairs.map(([t, d]) => `${t}/${d}`)
            for (const [i, name] of all.entries()) await (await f.openChangeStore(name)).append(entries.entry(i))
            for (const tenant of new Set(pairs.map(([t]) => t)))
              expect(await f.changeStoreNames(`${tenant}/`)).toEqual(
                all.filter((n) => n.startsWith(`${tenant}/`)).sort(),
              )
            const gone = all[pick % all.length]!
            await f.eraseChangeStore(gone)
            expect(await f.changeStoreNames('')).toEqual(all.filter((n) => n !== gone).sort())
            const again = await f.openChangeStore(gone)
            expect((await again.head()).count).toBe(0)
            for (const other of all.filter((n) => n !== gone))
              expect((await (await f.openChangeStore(other)).head()).count).toBe(1)
          }
        } finally {
          for (const f of factories) await f.close()
          await dir.remove()
        }
      }),
      { numRuns: 25 },
    )
  })
})
