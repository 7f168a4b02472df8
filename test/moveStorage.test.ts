import { ErrorCodes, MemoryKeyValueStore, ready, type ChangeStore, type KeyValueStore } from '@weft/core/backend'
import { EntryFactory } from '@weft/core/testing/fixtures'
import { moveStorage, type StorageSource } from '@weft/server'
import { PostgresStoreFactory } from '@weft/store-postgres'
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
