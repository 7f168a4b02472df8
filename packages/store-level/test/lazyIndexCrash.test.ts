import { ready, TenantFactory, TEST_KDF, type Database } from '@weft/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LevelStoreFactory } from '../src/index.ts'
import { runFixture } from './helpers/runFixture.ts'
import { tempDir } from './helpers/tempDir.ts'

const KILLS = 4
/** How often a database writes its index at the latest, in entries (docs/architecture.md). */
const INDEX_WRITE_EVERY = 256
/** Entries one write of the fixture makes at most (a change and its snapshot). */
const ENTRIES_PER_WRITE = 2

/** Every document a reader sees, in a comparable form. */
async function view(db: Database) {
  const out: Record<string, unknown> = {}
  for (const info of await db.listDocuments()) {
    const doc = await db.getDocument(info.id)
    out[info.id] = { status: info.status, data: doc?.toJSON(), heads: doc?.getHeads() }
  }
  return { ids: (await db.getAllDocumentIds()).sort(), docs: out, missing: db.getMissingEntries().sort() }
}

describe('the persisted index survives SIGKILL at any write', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  beforeAll(async () => {
    await ready()
    dir = await tempDir('weft-lazy-')
  })
  afterAll(() => dir.remove())

  it(`reopening after ${KILLS} kills mid-update reads exactly what an eager open of the same store reads, and re-derives fewer entries than the index is written every`, async () => {
    for (let run = 0; run < KILLS; run++) {
      const child = runFixture('writeDocsUntilKilled.ts', [dir.path, String(1 + run * 7919)])
      // The last run writes more than twice the index's cadence: an index written only at open or
      // close would leave every one of them to re-derive.
      const at =
        run < KILLS - 1 ? 5 + Math.floor(Math.random() * 30) : 3 * INDEX_WRITE_EVERY + Math.floor(Math.random() * 200)
      await child.waitForLine((l) => l === `n ${at}`)
      child.child.kill('SIGKILL')
      const exit = await child.exited
      expect(exit.signal, exit.stderr).toBe('SIGKILL')

      const factory = new TenantFactory({ storeFactory: new LevelStoreFactory({ path: dir.path }), kdf: TEST_KDF })
      const lazy = await factory.openTenant('acme', { password: 'pw' })
      const db = await lazy.openDB('notes', { cacheSize: 3 })
      expect(db.cacheStats().opened).not.toBe('rebuilt')
      expect(db.cacheStats().caughtUp).toBeLessThan(INDEX_WRITE_EVERY + ENTRIES_PER_WRITE)
      const lazyView = await view(db)
      // Opened again while the first holds the index: this one materialises everything from the store.
      const eager = await factory.openTenant('acme', { password: 'pw' })
      const eagerDb = await eager.openDB('notes', { cacheSize: 100_000 })
      expect(eagerDb.cacheStats().opened).toBe('rebuilt')
      expect(lazyView).toEqual(await view(eagerDb))
      expect(lazyView.ids.length).toBeGreaterThan(0)
      await eager.close()
      await lazy.close()
      await factory.close()
    }
  }, 120_000)
})
