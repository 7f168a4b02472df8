import { fingerprintOf, ready } from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { LevelChangeStore, LevelStoreFactory, StoreLayout } from '../src/index.ts'
import { tempDir } from './helpers/tempDir.ts'

// The range-fingerprint index is written with every append; a store written without it (by an
// older version, or with the index lost) has it rebuilt when it is opened.

describe('the LevelDB range-fingerprint index', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let factory: LevelStoreFactory
  beforeAll(() => ready())
  beforeEach(async () => {
    dir = await tempDir()
    factory = new LevelStoreFactory({ path: dir.path })
  })
  afterEach(async () => {
    await factory.close()
    await dir.remove()
  })

  /** Opens the folder's LevelDB directly, runs `fn` on the store's layout, and opens the store again. */
  async function underneath(fn: (layout: StoreLayout) => Promise<void>): Promise<LevelChangeStore> {
    await factory.close()
    const { Level } = await import('level')
    const db = new Level<string, any>(dir.path)
    await db.open()
    await fn(new StoreLayout(db, 'relay'))
    await db.close()
    factory = new LevelStoreFactory({ path: dir.path })
    return (await factory.openChangeStore('relay')) as LevelChangeStore
  }

  it('is rebuilt on open when the meta record does not mark it complete', async () => {
    const pool = new EntryFactory().entries(40)
    const store = (await factory.openChangeStore('relay')) as LevelChangeStore
    await store.appendMany(pool.map(envelope))
    const sorted = pool.map((e) => e.hash).sort()
    const ranges = [
      { lower: '', upper: null },
      { lower: sorted[5]!, upper: sorted[30]! },
      { lower: '8', upper: null },
    ]

    // As a version without the index leaves it: no index rows, and a meta record without the flag.
    const reopened = await underneath(async (layout) => {
      await layout.sums.clear()
      const meta = StoreLayout.decodeMeta((await layout.meta.get(StoreLayout.META_KEY))!)!
      await layout.meta.put(StoreLayout.META_KEY, StoreLayout.encodeMeta({ v: 1, epoch: meta.epoch, seq: meta.seq }))
    })
    for (const r of ranges) {
      expect(await reopened.fingerprint(r)).toEqual(
        fingerprintOf(sorted.filter((h) => h >= r.lower && (r.upper === null || h < r.upper))),
      )
    }
    expect((await reopened.checkIntegrity()).problems).toEqual([])
    expect(StoreLayout.decodeMeta((await underneathMeta())!)?.index).toBe(1)
  })

  it('reports an index that does not sum the stored entries', async () => {
    const store = (await factory.openChangeStore('relay')) as LevelChangeStore
    const pool = new EntryFactory().entries(5)
    await store.appendMany(pool.map(envelope))
    const damaged = await underneath(async (layout) => {
      await layout.sums.del(StoreLayout.sumKey(pool[0]!.hash.slice(0, 2)))
    })
    expect((await damaged.checkIntegrity()).problems).toContainEqual(
      expect.stringMatching(/fingerprint index has \d+ nodes/),
    )
  })

  async function underneathMeta(): Promise<string | undefined> {
    let value: string | undefined
    await underneath(async (layout) => {
      value = await layout.meta.get(StoreLayout.META_KEY)
    })
    return value
  }
})
