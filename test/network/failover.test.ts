import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSigningKeyPair, ready } from '@weft/core/backend'
import { registerMembers, ServerConnection } from '@weft/client'
import { WeftServer } from '@weft/server'
import { PostgresStoreFactory } from '@weft/store-postgres'
import { createTestDatabase, type TestDatabase } from '../../packages/store-postgres/test/helpers/pgDatabase.ts'

beforeAll(ready)

describe('a connection with several addresses', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase('failover')
  })
  afterAll(() => db.drop())

  it('reports a sign-in cut between challenge and answer as WEFT_NETWORK, then signs in at the next address', async () => {
    const a = await WeftServer.start({ storeFactory: new PostgresStoreFactory({ url: db.url }) })
    const b = await WeftServer.start({ storeFactory: new PostgresStoreFactory({ url: db.url }) })
    try {
      const admin = generateSigningKeyPair()
      const key = generateSigningKeyPair()
      await registerMembers({ url: a.url, tenant: 'acme', admin, seq: 1, add: [key.publicKey] })
      // The first process goes away right after it hands out a challenge.
      const first = a.url
      const fetchThenDie: typeof fetch = async (input, init) => {
        const res = await fetch(input, init)
        if (String(input).startsWith(first) && String(input).endsWith('/challenge')) await a.close()
        return res
      }
      const connection = new ServerConnection({
        url: first,
        failoverUrls: [b.url],
        tenant: 'acme',
        key,
        fetch: fetchThenDie,
      })
      await expect(connection.token()).rejects.toMatchObject({ code: 'WEFT_NETWORK' })
      expect(connection.url).toBe(b.url)
      expect(typeof (await connection.token())).toBe('string')
      expect((await connection.db('notes', 'head', {})).count).toBe(0)
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('moves only once when many requests fail together, and a lone address never moves', () => {
    const key = generateSigningKeyPair()
    const c = new ServerConnection({ url: 'http://a/', failoverUrls: ['http://b', 'http://c'], tenant: 't', key })
    expect(c.urls).toEqual(['http://a', 'http://b', 'http://c'])
    expect([c.failover('http://a'), c.failover('http://a')]).toEqual([true, false])
    expect(c.url).toBe('http://b')
    expect([c.failover(), c.failover()]).toEqual([true, true])
    expect(c.url).toBe('http://a')
    const lone = new ServerConnection({ url: 'http://a', tenant: 't', key })
    expect(lone.failover()).toBe(false)
  })
})
