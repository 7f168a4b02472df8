import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ErrorCodes, isWeftError, ready, TenantFactory, TEST_KDF, type ErrorCode } from '@weft/core'
import { EntryFactory, envelope } from '@weft/core/testing'
import { Level } from 'level'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { LevelStoreFactory, type LevelDatabase } from '../src/index.ts'
import { runFixture } from './helpers/runFixture.ts'
import { tempDir } from './helpers/tempDir.ts'

const failsWith = (code: ErrorCode) => (e: unknown) => isWeftError(e, code)
const storageError = failsWith(ErrorCodes.STORAGE_ERROR)

/** Opens `name` in `path` again and returns its hashes in arrival order and its integrity problems. */
async function reread(path: string, name: string) {
  const factory = new LevelStoreFactory({ path })
  try {
    const store = await factory.openChangeStore(name)
    const page = await store.scan(null, { limit: 100_000 })
    expect(page.entries.map((e) => e.seq)).toEqual(page.entries.map((_, i) => i + 1))
    return {
      hashes: page.entries.map((e) => e.hash),
      problems: (await store.checkIntegrity({ verifyEntries: true })).problems,
    }
  } finally {
    await factory.close()
  }
}

describe('storage failures become typed errors, and nothing half-written remains', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let f: EntryFactory
  beforeAll(async () => {
    await ready()
    f = new EntryFactory()
  })
  beforeEach(async () => {
    dir = await tempDir()
  })
  afterEach(async () => {
    await dir.remove()
  })

  it('fails with WEFT_STORAGE_ERROR when the folder cannot be created (its parent is a file)', async () => {
    const file = join(dir.path, 'not-a-folder')
    await writeFile(file, 'x')
    const factory = new LevelStoreFactory({ path: join(file, 'db') })
    await expect(factory.openChangeStore('t/db')).rejects.toSatisfy(storageError)
    await expect(factory.openKeyValueStore('records')).rejects.toSatisfy(storageError)
    const tenants = new TenantFactory({ storeFactory: factory, kdf: TEST_KDF })
    await expect(tenants.createTenant({ tenantId: 'acme', password: 'pw' })).rejects.toSatisfy(storageError)
    const err = await factory.openChangeStore('t/db').catch((e: unknown) => e)
    expect((err as Error).cause).toBeDefined()
    await factory.close()
  })

  it('fails with WEFT_STORAGE_ERROR while another factory in this process holds the folder, and opens once it is released', async () => {
    const first = new LevelStoreFactory({ path: dir.path })
    const store = await first.openChangeStore('t/db')
    await store.appendMany(f.entries(3).map(envelope))
    const second = new LevelStoreFactory({ path: dir.path })
    await expect(second.openChangeStore('t/db')).rejects.toSatisfy(storageError)
    expect((await store.head()).seq).toBe(3) // the holder is unaffected
    await first.close()
    const reopened = await second.openChangeStore('t/db')
    expect((await reopened.head()).seq).toBe(3)
    await second.close()
  })

  it('fails with WEFT_STORAGE_ERROR while another process holds the LevelDB lock', async () => {
    const holder = runFixture('holdLock.ts', [dir.path])
    try {
      await holder.waitForLine((l) => l === 'ready')
      const factory = new LevelStoreFactory({ path: dir.path })
      await expect(factory.openChangeStore('t/db')).rejects.toSatisfy(storageError)
      await expect(factory.openKeyValueStore('records')).rejects.toSatisfy(storageError)
      await factory.close()
    } finally {
      holder.child.kill('SIGKILL')
      await holder.exited
    }
    // Killed, the holder leaves the lock free: the folder opens.
    const factory = new LevelStoreFactory({ path: dir.path })
    await factory.openChangeStore('t/db')
    await factory.close()
  })

  it('fails with WEFT_STORAGE_ERROR when the database is closed underneath, and keeps only whole batches', async () => {
    const db: LevelDatabase = new Level<string, Uint8Array>(dir.path, { valueEncoding: 'view' })
    const factory = new LevelStoreFactory({ db })
    const store = await factory.openChangeStore('t/db')
    const records = await factory.openKeyValueStore('records')
    const kept = f.entries(5)
    await store.appendMany(kept.map(envelope))

    // One append racing the close (closed at once, or once its write may be under way): it either
    // lands whole or fails with a typed error.
    const racing = f.entries(40)
    const outcome = store.appendMany(racing.map(envelope)).then(
      () => 'committed',
      (e: unknown) => (storageError(e) ? 'failed' : e),
    )
    if (Math.random() < 0.5) await new Promise((resolve) => setTimeout(resolve, 1))
    await db.close()
    const raced = await outcome

    const lost = f.entries(2)
    await expect(store.appendMany(lost.map(envelope))).rejects.toSatisfy(storageError)
    await expect(store.getChanges([kept[0]!.hash])).rejects.toSatisfy(storageError)
    await expect(store.has([kept[0]!.hash])).rejects.toSatisfy(storageError)
    await expect(store.scan(null)).rejects.toSatisfy(storageError)
    await expect(store.hashesInRange({ lower: '', upper: null })).rejects.toSatisfy(storageError)
    await expect(records.put('k', new Uint8Array([1]))).rejects.toSatisfy(storageError)
    await expect(records.get('k')).rejects.toSatisfy(storageError)
    await factory.close() // a given database is its owner's to close; the factory only lets go

    const after = await reread(dir.path, 't/db')
    const expected = [...kept, ...(raced === 'committed' ? racing : [])].map((e) => e.hash)
    expect(['committed', 'failed']).toContain(raced)
    expect(after.hashes).toEqual(expected)
    expect(after.problems).toEqual([])
  })

  it.skipIf(process.platform === 'win32')(
    'fails with WEFT_QUOTA_EXCEEDED when a write goes past the file-size limit, keeping every committed batch and none of the failed one',
    async () => {
      // A genuine write failure: the child may not grow a file past 256 KiB (ulimit -f counts 512-byte blocks in POSIX sh).
      const child = runFixture('appendUntilFull.ts', [dir.path], { shellPrefix: 'ulimit -f 512' })
      const { code, stderr } = await child.exited
      expect(code, stderr).toBe(0)
      const committed = child.lines.filter((l) => l.startsWith('committed ')).flatMap((l) => l.split(' ').slice(1))
      const failed = child.lines.find((l) => l.startsWith('failed '))?.split(' ')
      expect(committed.length).toBeGreaterThan(0)
      expect(failed?.[1]).toBe(ErrorCodes.QUOTA_EXCEEDED)
      // After a failed write the log may end in a torn record: later writes are refused until reopened.
      const then = child.lines.find((l) => l.startsWith('then '))?.split(' ')
      expect(then?.[1]).toBe(ErrorCodes.STORAGE_ERROR)

      const after = await reread(dir.path, 'full/db')
      expect(after.hashes).toEqual(committed)
      expect(after.hashes.some((h) => failed!.slice(2).includes(h) || h === then![2])).toBe(false)
      expect(after.problems).toEqual([])

      // And the store takes writes again once there is room.
      const factory = new LevelStoreFactory({ path: dir.path })
      const store = await factory.openChangeStore('full/db')
      const more = f.entries(2)
      expect((await store.appendMany(more)).added).toEqual(more.map((e) => e.hash))
      expect((await store.head()).seq).toBe(committed.length + 2)
      await factory.close()
    },
  )

  it('reports WEFT_CLOSED, not a storage error, after the factory is closed', async () => {
    const factory = new LevelStoreFactory({ path: dir.path })
    const store = await factory.openChangeStore('t/db')
    const records = await factory.openKeyValueStore('records')
    await factory.close()
    await expect(store.append(envelope(f.entry()))).rejects.toSatisfy(failsWith(ErrorCodes.CLOSED))
    await expect(records.get('k')).rejects.toSatisfy(failsWith(ErrorCodes.CLOSED))
    await expect(factory.openChangeStore('t/db')).rejects.toSatisfy(failsWith(ErrorCodes.CLOSED))
    await expect(factory.openKeyValueStore('records')).rejects.toSatisfy(failsWith(ErrorCodes.CLOSED))
    await factory.close() // idempotent
  })

  it('refuses to open a store whose meta record disagrees with its arrival index', async () => {
    const db: LevelDatabase = new Level<string, Uint8Array>(dir.path, { valueEncoding: 'view' })
    const factory = new LevelStoreFactory({ db })
    const store = await factory.openChangeStore('t/db')
    await store.appendMany(f.entries(3).map(envelope))
    await store.close()
    const meta = db.sublevel<string, string>(['weft-store', 't/db', 'm'], {})
    await meta.put('meta', JSON.stringify({ v: 1, epoch: 'e', seq: 7 }))
    await expect(factory.openChangeStore('t/db')).rejects.toSatisfy(storageError)
    await factory.close()
    await db.close()
  })
})
