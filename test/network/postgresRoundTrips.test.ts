import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerMembers, ServerConnection } from '@weft/client'
import { generateSigningKeyPair, ready } from '@weft/core/backend'
import { EntryFactory } from '@weft/core/testing'
import type { WireEntry } from '@weft/protocol'
import { WeftServer } from '@weft/server'
import { PostgresStoreFactory } from '@weft/store-postgres'
import pg from 'pg'
import { createTestDatabase, type TestDatabase } from '../../packages/store-postgres/test/helpers/pgDatabase.ts'

beforeAll(ready)

/** Runs `fn`, counting the statements every pg client sends meanwhile (each one round trip). */
async function countingStatements(fn: () => Promise<void>): Promise<number> {
  const original = pg.Client.prototype.query
  let n = 0
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    n++
    return (original as (...a: unknown[]) => unknown).apply(this, args)
  } as typeof original
  try {
    await fn()
  } finally {
    pg.Client.prototype.query = original
  }
  return n
}

describe('round trips to PostgreSQL of a server sharing its state', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase('round_trips')
  })
  afterAll(() => db.drop())

  it('a push of 50 entries makes at most 16 on average, a signed-in usage request at most 5', async () => {
    const server = await WeftServer.start({ storeFactory: new PostgresStoreFactory({ url: db.url }) })
    try {
      const admin = generateSigningKeyPair()
      const author = new EntryFactory(7)
      await registerMembers({ url: server.url, tenant: 'acme', admin, seq: 1, add: [author.signer.publicKey] })
      const client = new ServerConnection({ url: server.url, tenant: 'acme', key: author.signer })
      let n = 0
      const batch = () =>
        Array.from({ length: 50 }, (): WireEntry => {
          const e = author.entry(n++, [], 200)
          return { hash: e.hash, bytes: e.bytes }
        })
      // Warm: the session, the tenant's caches, the stores opened.
      for (let i = 0; i < 2; i++) {
        await client.db('notes', 'push', { entries: batch() })
        await client.usage()
      }
      const pushes = 10
      const pushed = await countingStatements(async () => {
        for (let i = 0; i < pushes; i++) {
          const r = await client.db('notes', 'push', { entries: batch() })
          expect(r.results.filter((x) => x.status === 'added')).toHaveLength(50)
        }
      })
      // About 37 while each server record was read and written in a transaction of its own, each
      // read of a change store opened one, an append's transaction took eight round trips and each
      // step of the tenant's use four (lock, read, write, unlock), and the quota warning read the
      // use again.
      expect(pushed / pushes).toBeLessThanOrEqual(16)
      for (let i = 0; i < 5; i++) {
        const used = await countingStatements(async () => void (await client.usage()))
        expect(used).toBeLessThanOrEqual(5)
      }
      expect((await client.usage()).entries).toBe(n)
    } finally {
      await server.close()
    }
  })
})
