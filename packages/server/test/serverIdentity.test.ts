import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ready, type KeyValueStore } from '@weft/core/backend'
import { PostgresStoreFactory } from '@weft/store-postgres'
import { createTestDatabase, type TestDatabase } from '../../store-postgres/test/helpers/pgDatabase.ts'
import { serverIdentity } from '../src/serverIdentity.ts'

let db: TestDatabase
beforeAll(async () => {
  await ready()
  db = await createTestDatabase('identity')
})
afterAll(() => db.drop())

/**
 * Record stores whose first reads all answer together, once every one was asked: the worst
 * timing of processes starting at once (each reads "no identity yet" before any writes one).
 */
function startingTogether(stores: KeyValueStore[]): KeyValueStore[] {
  let waiting = 0
  let release!: () => void
  const all = new Promise<void>((r) => (release = r))
  return stores.map((kv) => {
    let first = true
    return new Proxy(kv, {
      get(target, name, receiver) {
        if (name !== 'get') {
          const v = Reflect.get(target, name, receiver) as unknown
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
        }
        return async (key: string) => {
          const value = await target.get(key)
          if (first) {
            first = false
            if (++waiting === stores.length) release()
            await all
          }
          return value
        }
      },
    })
  })
}

describe('the server identity', () => {
  it('is one identity when several processes start together on a fresh storage', async () => {
    // Each factory has pools of its own, as each process would.
    const factories = Array.from({ length: 4 }, () => new PostgresStoreFactory({ url: db.url, maxConnections: 2 }))
    try {
      const stores = startingTogether(await Promise.all(factories.map((f) => f.openKeyValueStore('weft-server'))))
      const ids = await Promise.all(stores.map((kv) => serverIdentity(kv)))
      expect(new Set(ids).size).toBe(1)
      expect(await serverIdentity(await factories[0]!.openKeyValueStore('weft-server'))).toBe(ids[0])
    } finally {
      for (const f of factories) await f.close()
    }
  })
})
