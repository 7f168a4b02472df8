import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { ready } from '@weft/core'
import { EntryFactory } from '@weft/core/testing'
import { LevelStoreFactory } from '../src/index.ts'

beforeAll(ready)

describe('LevelStoreFactory.changeStoreNames', () => {
  it('lists exactly the stores created, whatever their names hold (property)', async () => {
    const entries = new EntryFactory(1)
    const entry = entries.entry()
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.string({ minLength: 0, maxLength: 12 }), { maxLength: 6 }), async (names) => {
        const dir = await mkdtemp(join(tmpdir(), 'weft-list-'))
        const factory = new LevelStoreFactory({ path: dir })
        try {
          for (const name of names) await (await factory.openChangeStore(name)).append(entry)
          await (await factory.openKeyValueStore('not-a-store')).put('k', new Uint8Array([1]))
          const listed = await factory.changeStoreNames('')
          expect(new Set(listed)).toEqual(new Set(names))
          expect(listed).toHaveLength(names.length)
          const prefix = names[0]?.slice(0, 1) ?? ''
          expect(new Set(await factory.changeStoreNames(prefix))).toEqual(
            new Set(names.filter((n) => n.startsWith(prefix))),
          )
        } finally {
          await factory.close()
          await rm(dir, { recursive: true, force: true })
        }
      }),
      { numRuns: 25 },
    )
  })

  it('checkIntegrity reports a sound store as sound', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-list-'))
    const factory = new LevelStoreFactory({ path: dir })
    await (await factory.openChangeStore('acme/notes')).appendMany(new EntryFactory(3).entries(20))
    const report = await factory.checkIntegrity('acme/notes', { verifyEntries: true })
    expect(report).toMatchObject({ entries: 20, arrivals: 20, problems: [] })
    await factory.close()
    await rm(dir, { recursive: true, force: true })
  })
})
