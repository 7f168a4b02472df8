import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { generateSigningKeyPair, incrementalSync, initialSyncState, ready } from '@weft/core'
import { MemoryChangeStore } from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing'
import { registerMembers, RemoteChangeStore, ServerConnection } from '@weft/client'
import { WeftServer } from '@weft/server'
import { LevelStoreFactory } from '@weft/store-level'

// A server restored from an older copy of its LevelDB folder keeps the store's epoch and takes new
// entries under arrival numbers a client's saved cursor has already passed. The cursor's position
// check tells the server's store that its entry at that number is another one, and the walk starts over.

describe('a server restored from an older copy of its data folder', () => {
  let dir: string
  let server: WeftServer | undefined
  beforeAll(ready)
  afterEach(async () => {
    await server?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it("a client's saved sync state gets all 7 of 7 entries another client wrote after the restore", async () => {
    dir = await mkdtemp(join(tmpdir(), 'weft-restored-server-'))
    const live = join(dir, 'live')
    const copy = join(dir, 'copy')
    const start = (port = 0) =>
      WeftServer.start({ port, authors: 'any', storeFactory: new LevelStoreFactory({ path: live }) })
    server = await start()
    const port = server.port
    const restart = async (meanwhile: () => Promise<void>) => {
      await server!.close()
      await meanwhile()
      server = await start(port)
    }
    const admin = generateSigningKeyPair()
    const [writerKey, readerKey] = [generateSigningKeyPair(), generateSigningKeyPair()]
    await registerMembers({
      url: server.url,
      tenant: 'restored',
      admin,
      seq: 1,
      add: [writerKey.publicKey, readerKey.publicKey],
    })
    const remote = (key: typeof admin) =>
      new RemoteChangeStore({
        connection: new ServerConnection({ url: `http://127.0.0.1:${port}`, tenant: 'restored', key }),
        db: 'orders',
      })
    const pool = new EntryFactory().entries(12)

    const writer = remote(writerKey)
    await writer.appendMany(pool.slice(0, 3).map(envelope))
    await restart(() => cp(live, copy, { recursive: true })) // the backup holds 3
    await writer.appendMany(pool.slice(3, 5).map(envelope))

    // The reader pulls everything (5) and keeps its sync state.
    const reader = remote(readerKey)
    const local = new MemoryChangeStore()
    const state = await incrementalSync(reader, local, initialSyncState())
    expect(state.cursor).toMatchObject({ seq: 5 })

    // The disk is lost; the backup comes back (same epoch, 3 entries). The writer writes 7 more.
    await restart(async () => {
      await rm(live, { recursive: true })
      await cp(copy, live, { recursive: true })
    })
    const written = pool.slice(5, 12)
    expect((await writer.appendMany(written.map(envelope))).added).toHaveLength(7)
    expect((await writer.head()).seq).toBe(10) // past the reader's cursor

    await incrementalSync(reader, local, state)
    const held = await local.has(written.map((e) => e.hash))
    expect(held.filter(Boolean)).toHaveLength(7)
    await Promise.all([writer.close(), reader.close(), local.close()])
  })
})
