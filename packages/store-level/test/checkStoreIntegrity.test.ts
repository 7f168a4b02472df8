import { ready } from '@weft/core'
import { EntryFactory, envelope } from '@weft/core/testing'
import { Level } from 'level'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { LevelStoreFactory, StoreLayout, type LevelChangeStore, type LevelDatabase } from '../src/index.ts'
import { tempDir } from './helpers/tempDir.ts'

describe('checkIntegrity', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let db: LevelDatabase
  let factory: LevelStoreFactory
  let store: LevelChangeStore
  let layout: StoreLayout
  let f: EntryFactory
  beforeAll(async () => {
    await ready()
    f = new EntryFactory()
  })
  beforeEach(async () => {
    dir = await tempDir()
    db = new Level<string, Uint8Array>(dir.path, { valueEncoding: 'view' })
    factory = new LevelStoreFactory({ db })
    store = await factory.openChangeStore('t/db')
    layout = new StoreLayout(db, 't/db')
    await store.appendMany(f.entries(6).map(envelope))
  })
  afterEach(async () => {
    await factory.close()
    await db.close()
    await dir.remove()
  })

  it('finds nothing wrong with a store written through its API', async () => {
    const report = await store.checkIntegrity({ verifyEntries: true })
    expect(report).toEqual({ entries: 6, arrivals: 6, docRows: 6, metaSeq: 6, problems: [] })
  })

  it('finds an entry without its index rows', async () => {
    const orphan = f.entry()
    await layout.entries.put(orphan.hash, orphan.bytes)
    const { problems } = await store.checkIntegrity()
    expect(problems).toContain(`entry ${orphan.hash} has no arrival number`)
    // The index was not written with it either: its nodes no longer sum the stored entries.
    expect(
      problems
        .filter((p) => p !== `entry ${orphan.hash} has no arrival number`)
        .every((p) => p.startsWith('fingerprint index ')),
    ).toBe(true)
    expect(problems.length).toBeGreaterThan(1)
  })

  it('finds an arrival row whose entry is missing, and the gap a missing row leaves', async () => {
    const [first] = await store.scan(null, { limit: 1 }).then((p) => p.entries)
    await layout.entries.del(first!.hash)
    await layout.arrivals.del(StoreLayout.seqKey(3))
    const { problems } = await store.checkIntegrity()
    expect(problems).toContain(`arrival 1 names ${first!.hash}, which is not stored`)
    expect(problems).toContain('arrival 4 follows 2: gap or repeat')
    expect(problems.some((p) => p.startsWith('document row '))).toBe(true)
  })

  it('finds a tampered entry when asked to verify entries', async () => {
    const [first] = await store.scan(null, { limit: 1 }).then((p) => p.entries)
    const [stored] = await store.getChanges([first!.hash])
    const bytes = stored!.bytes.slice()
    bytes[bytes.length - 1]! ^= 1
    await layout.entries.put(first!.hash, bytes)
    expect((await store.checkIntegrity()).problems).toEqual([])
    expect((await store.checkIntegrity({ verifyEntries: true })).problems).toHaveLength(1)
  })
})
