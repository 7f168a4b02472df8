import { ready } from '@weft/core'
import { EntryFactory, envelope } from '@weft/core/testing'
import { Level } from 'level'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { LevelStoreFactory, type LevelDatabase } from '../src/index.ts'
import { tempDir } from './helpers/tempDir.ts'

// abstract-level copies a batch's options into each operation, and V8 then prepared large batches
// many times more slowly (with `{ sync: false }` as with anything else): every write passes options
// only when it must be flushed to disk, and then passes `sync` for real.

describe('the options of every LevelDB write', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let db: LevelDatabase
  let seen: unknown[]
  beforeAll(() => ready())
  beforeEach(async () => {
    dir = await tempDir()
    db = new Level<string, Uint8Array>(dir.path, { valueEncoding: 'view' })
    seen = []
    const batch = db.batch.bind(db) as (...args: unknown[]) => unknown
    db.batch = ((...args: unknown[]) => {
      if (args.length > 0) seen.push(args[1])
      return batch(...args)
    }) as typeof db.batch
  })
  afterEach(async () => {
    await db.close()
    await dir.remove()
  })

  for (const sync of [false, true]) {
    it(`are ${sync ? '{ sync: true } with sync' : 'none without sync'}, for stores and records alike`, async () => {
      const factory = new LevelStoreFactory({ db, sync })
      const store = await factory.openChangeStore('t/db')
      const entries = new EntryFactory().entries(30).map(envelope)
      await store.appendMany(entries.slice(0, 10))
      await store.appendMany(entries.slice(10))
      const records = await factory.openKeyValueStore('records')
      await records.put('a', new Uint8Array([1]))
      await records.delete('a')
      // Creating the store, two appends, a put and a delete.
      expect(seen).toHaveLength(5)
      for (const options of seen) expect(options).toEqual(sync ? { sync: true } : undefined)
      expect((await store.getChanges(entries.map((e) => e.hash))).every(Boolean)).toBe(true)
      await factory.close()
    })
  }
})
