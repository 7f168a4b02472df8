import { ErrorCodes, MemoryKeyValueStore, ready, type ChangeStore, type KeyValueStore } from '@weft/core/backend'
import { EntryFactory } from '@weft/core/testing/fixtures'
import { moveStorage, type StorageSource } from '@weft/server'
import { PostgresStoreFactory } from '@weft/store-postgres'
import { LevelStoreFactory } from '@weft/store-level'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../packages/store-postgres/test/helpers/pgDatabase.ts'
import { flipBit, rehashed } from './helpers/entries.ts'
import { RawRelayStore } from './helpers/RawRelayStore.ts'

/** A source whose storage was tampered with: it hands back whatever bytes it holds, unverified. */
function tamperedSource(stores: Map<string, ChangeStore>, records: Map<string, KeyValueStore>): StorageSource {
  return {
    listStores: async () => ({ changeStores: [...stores.keys()], recordStores: [...records.keys()] }),
    openChangeStore: async (name) => stores.get(name)!,
    openKeyValueStore: async (name) => records.get(name)!,
  }
}

describe('moving storage', () => {
  let db: TestDatabase
  beforeAll(async () => {
    await ready()
    db = await createTestDatabase('move')
  })
  afterAll(() => db.drop())

  it('verifies every entry again on the way: a tampered one is reported and left behind, the rest copied', async () => {
    const [a, b, c] = new EntryFactory().entries(3)
    const bad = rehashed(flipBit(c!.bytes, c!.bytes.length - 10, 3))
    const source = tamperedSource(
      new Map([['acme/orders', new RawRelayStore([a!, bad, b!])]]),
      new Map([['weft-server', new MemoryKeyValueStore()]]),
    )
    await (await source.openKeyValueStore('weft-server')).put('identity', new Uint8Array([7]))
    const target = new PostgresStoreFactory({ url: db.url })
    try {
      const report = await moveStorage(source, target)
      expect(report).toMatchObject({ changeStores: 1, entries: 2, records: 1, epochChanged: [] })
      expect(report.rejected).toEqual([{ store: 'acme/orders', hash: bad.hash, code: ErrorCodes.BAD_SIGNATURE }])
      const moved = await target.openChangeStore('acme/orders')
      expect(await moved.getAllChangeHashes()).toEqual([a!.hash, b!.hash])
      expect(await (await target.openKeyValueStore('weft-server')).get('identity')).toEqual(new Uint8Array([7]))
    } finally {
      await target.close()
    }
  })
})

describe('moving a LevelDB folder from before tenancy', () => {
  let db: TestDatabase
  let dir: string
  beforeAll(async () => {
    await ready()
    db = await createTestDatabase('pretenancy')
    dir = await mkdtemp(join(tmpdir(), 'weft-pretenancy-'))
  })
  afterAll(async () => {
    await db.drop()
    await rm(dir, { recursive: true, force: true })
  })

  it('puts a store named without a tenant into the default tenant, entries and arrival order kept; tenants keep theirs', async () => {
    const f = new EntryFactory()
    const level = new LevelStoreFactory({ path: dir })
    const legacy = f.entries(5)
    const tenanted = f.entries(2)
    await (await level.openChangeStore('orders')).appendMany(legacy.map((e) => ({ hash: e.hash, bytes: e.bytes })))
    await (
      await level.openChangeStore('acme/orders')
    ).appendMany(tenanted.map((e) => ({ hash: e.hash, bytes: e.bytes })))
    const before = await (await level.openChangeStore('orders')).scan(null)
    const target = new PostgresStoreFactory({ url: db.url })
    try {
      const report = await moveStorage(level, target, { defaultTenant: 'legacy' })
      expect(report).toMatchObject({ changeStores: 2, entries: 7, rejected: [] })
      expect(report.adopted).toEqual([{ from: 'orders', to: 'legacy/orders' }])
      const moved = await target.openChangeStore('legacy/orders')
      expect((await moved.scan(null)).entries).toEqual(before.entries)
      expect(await target.listDatabases('legacy')).toEqual(['orders'])
      expect(await target.listDatabases('acme')).toEqual(['orders'])
      expect((await target.listTenants()).map((t) => t.id).sort()).toEqual(['acme', 'legacy'])
    } finally {
      await target.close()
      await level.close()
    }
  })
})
