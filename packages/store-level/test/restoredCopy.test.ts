import { cp } from 'node:fs/promises'
import {
  incrementalSync,
  initialSyncState,
  ready,
  TenantFactory,
  TEST_KDF,
  type ChangeStore,
  type Cursor,
  type DocId,
} from '@weft/core'
import { MemoryChangeStore } from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { LevelStoreFactory } from '../src/index.ts'
import { tempDir } from './helpers/tempDir.ts'

// A store restored from an older copy of its folder has the same epoch as the copy that went on
// without it, and fewer entries. Cursors issued by the newer copy and sync states that counted on
// what it held must not skip or lose anything.

describe('a LevelDB store restored from an older copy', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let backup: Awaited<ReturnType<typeof tempDir>>
  let factory: LevelStoreFactory
  let f: EntryFactory
  beforeAll(async () => {
    await ready()
    f = new EntryFactory()
  })
  beforeEach(async () => {
    dir = await tempDir()
    backup = await tempDir()
    factory = new LevelStoreFactory({ path: dir.path })
  })
  afterEach(async () => {
    await factory.close()
    await dir.remove()
    await backup.remove()
  })

  /** Closes the store's folder, runs `fn`, and opens it again. */
  async function whileClosed(fn: () => Promise<void>): Promise<ChangeStore> {
    await factory.close()
    await fn()
    factory = new LevelStoreFactory({ path: dir.path })
    return factory.openChangeStore('relay')
  }

  it("starts a newer copy's cursor over, and a sync into it sends again what it lost", async () => {
    const pool = f.entries(12)
    const source = new MemoryChangeStore()
    await source.appendMany(pool.slice(0, 4).map(envelope))
    let target: ChangeStore = await factory.openChangeStore('relay')
    let state = await incrementalSync(source, target, initialSyncState())
    expect(state.lastSent).toBe(4)

    target = await whileClosed(() => cp(dir.path, backup.path, { recursive: true })) // the backup holds 4
    await source.appendMany(pool.slice(4, 8).map(envelope))
    state = await incrementalSync(source, target, state)
    expect(state.lastSent).toBe(4)
    const readerCursor = (await target.scan(null)).cursor // a reader that has seen all 8
    expect(readerCursor.seq).toBe(8)

    // The disk fails; the backup comes back. Same epoch, 4 entries.
    target = await whileClosed(async () => {
      await dir.remove()
      await cp(backup.path, dir.path, { recursive: true })
    })
    const head = await target.head()
    expect(head).toMatchObject({ epoch: readerCursor.epoch, seq: 4 })

    // Someone else writes to the restored store before the sync runs again.
    await target.appendMany(pool.slice(8, 10).map(envelope))
    // The reader's cursor (seq 8) is past the restored store's end: it starts over and misses none.
    const page = await target.scan(readerCursor)
    expect(page.reset).toBe(true)
    expect(page.entries.map((e) => e.hash)).toEqual([...pool.slice(0, 4), ...pool.slice(8, 10)].map((e) => e.hash))

    // The sync state remembered the target at seq 8; it is at 6 now, so the sync starts over and
    // sends the four the target lost, even though nothing is new at the source.
    state = await incrementalSync(source, target, state)
    expect(state.lastSent).toBe(4)
    const held = await target.has(pool.slice(0, 10).map((e) => e.hash))
    expect(held.every(Boolean)).toBe(true)
    // And after that, nothing more to do.
    expect((await incrementalSync(source, target, state)).lastSent).toBe(0)
  })

  it("a database's cursor walk yields all 7 documents written after the folder was restored, though the store grew past the saved cursor", async () => {
    const open = async () => {
      factory = new LevelStoreFactory({ path: dir.path })
      const tenant = await new TenantFactory({ storeFactory: factory, kdf: TEST_KDF }).openTenant('shop', {
        password: 'pw',
      })
      return tenant.openDB('orders')
    }
    const walk = async (db: Awaited<ReturnType<typeof open>>, since: Cursor | null) => {
      const seen: DocId[] = []
      const it = db.iterateChangesSince(since)
      for await (const { doc } of it) seen.push(doc.getId())
      return { seen, cursor: it.cursor }
    }
    await factory.close()
    factory = new LevelStoreFactory({ path: dir.path })
    const created = await new TenantFactory({ storeFactory: factory, kdf: TEST_KDF }).createTenant({
      tenantId: 'shop',
      password: 'pw',
    })
    let db = await created.openDB('orders')
    for (let i = 0; i < 3; i++) await db.createDocument({ data: { i } })
    await factory.close()
    await cp(dir.path, backup.path, { recursive: true }) // the backup: 3 documents
    db = await open()
    for (let i = 3; i < 5; i++) await db.createDocument({ data: { i } })
    const saved = (await walk(db, null)).cursor // the app has seen all 5
    expect(saved?.seq).toBe(5)

    await factory.close()
    await dir.remove()
    await cp(backup.path, dir.path, { recursive: true })
    db = await open()
    const written: DocId[] = []
    for (let i = 0; i < 7; i++) written.push((await db.createDocument({ data: { after: i } })).getId())
    expect((await db.getStore().head()).seq).toBe(10) // past the saved cursor
    const { seen } = await walk(db, saved)
    expect(written.filter((id) => seen.includes(id))).toHaveLength(7)
  })

  it('a sync state saved before targets were recorded cannot tell; one that records it can', async () => {
    // The states saved before the target was recorded: the documented limit, and the reason it is recorded now.
    const pool = f.entries(3)
    const source = new MemoryChangeStore()
    await source.appendMany(pool.map(envelope))
    const target = await factory.openChangeStore('relay')
    const { target: _, ...old } = await incrementalSync(source, target, initialSyncState())
    const fresh = new MemoryChangeStore()
    expect((await incrementalSync(source, fresh, old)).lastSent).toBe(0)
    expect(
      (await incrementalSync(source, fresh, { ...old, target: { epoch: (await target.head()).epoch, seq: 3 } }))
        .lastSent,
    ).toBe(3)
  })
})
