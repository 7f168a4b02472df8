import fc from 'fast-check'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { PostgresStoreFactory, tenantOfStore, type IsolationModel } from '../src/index.ts'
import { createTestDatabase, type TestDatabase } from './helpers/pgDatabase.ts'

let db: TestDatabase
beforeAll(async () => void (db = await createTestDatabase('factory')))
afterAll(() => db.drop())

describe('tenantOfStore', () => {
  it('is the part before the last slash', () => {
    expect(tenantOfStore('acme/orders')).toBe('acme')
    expect(tenantOfStore('org:a/b/orders')).toBe('org:a/b')
    expect(tenantOfStore('weft-server')).toBeUndefined()
    expect(tenantOfStore('/orders')).toBeUndefined()
  })
})

describe.each(['shared', 'schema', 'database'] as IsolationModel[])('record stores (%s)', (isolation) => {
  let factory: PostgresStoreFactory
  beforeEach(() => void (factory = new PostgresStoreFactory({ url: db.url, isolation, maxConnections: 2 })))
  afterEach(() => factory.close())

  it('behave as a sorted map of bytes, and persist', async () => {
    const kv = await factory.openKeyValueStore(`kv-${isolation}/records`)
    await kv.put('b', new Uint8Array([2]))
    await kv.put('a/1', new Uint8Array([1]))
    await kv.put('a/2', new Uint8Array([3]))
    await kv.put('a%', new Uint8Array([4])) // a LIKE wildcard is matched as itself
    await kv.put('a/1', new Uint8Array([9]))
    expect(await kv.get('a/1')).toEqual(new Uint8Array([9]))
    expect(await kv.get('zz')).toBeUndefined()
    expect(await kv.keys('a/')).toEqual(['a/1', 'a/2'])
    expect(await kv.keys('a%')).toEqual(['a%'])
    expect(await kv.keys()).toEqual(['a%', 'a/1', 'a/2', 'b'])
    await kv.delete('b')
    await factory.close()
    factory = new PostgresStoreFactory({ url: db.url, isolation })
    const again = await factory.openKeyValueStore(`kv-${isolation}/records`)
    expect(await again.keys()).toEqual(['a%', 'a/1', 'a/2'])
    // Another tenant's record store of the same name is another store.
    expect(await (await factory.openKeyValueStore(`other-${isolation}/records`)).keys()).toEqual([])
  })

  it('keys(prefix) is the sorted keys starting with prefix, for any keys, and entries pages through them', async () => {
    // Reads quote their values into the statement: quotes, backslashes and LIKE wildcards are keys too.
    const char = fc.oneof(
      fc.constantFrom("'", '\\', '%', '_', '"', '$', 'é', '😀'),
      fc.string({ minLength: 1, maxLength: 1 }),
    )
    const text = (maxLength: number) => fc.array(char, { maxLength }).map((cs) => cs.join(''))
    let n = 0
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(text(6), { maxLength: 12 }), text(2), fc.nat(), async (keys, prefix, pick) => {
        const kv = await factory.openKeyValueStore(`prop-${isolation}/r${++n}`)
        for (const k of keys) await kv.put(k, new Uint8Array([1]))
        const expected = keys
          .filter((k) => k.startsWith(prefix))
          .sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1))
        expect(await kv.keys(prefix)).toEqual(expected)
        const after = expected.length ? expected[pick % expected.length] : undefined
        const rest = expected.slice(after === undefined ? 0 : expected.indexOf(after) + 1)
        const page = await kv.entries!(prefix, { after, limit: 3 })
        expect(page.map(([k]) => k)).toEqual(rest.slice(0, 3))
        for (const [, value] of page) expect(value).toEqual(new Uint8Array([1]))
        if (keys.length) expect(await kv.get(keys[pick % keys.length]!)).toEqual(new Uint8Array([1]))
        expect(await kv.get(`${prefix}'; DROP TABLE weft_kv; --`)).toBeUndefined()
      }),
      { numRuns: 25 },
    )
  })
})

describe('the factory', () => {
  it("keeps the server's own records (names without a slash) apart from every tenant", async () => {
    const factory = new PostgresStoreFactory({ url: db.url })
    try {
      const server = await factory.openKeyValueStore('weft-server')
      await server.put('members/acme/x', new Uint8Array([1]))
      expect(await server.keys('members/')).toEqual(['members/acme/x'])
      await expect(factory.withTenant('acme', (c) => c.query('SELECT * FROM weft_server_kv'))).rejects.toMatchObject({
        code: 'WEFT_STORAGE_ERROR',
      })
    } finally {
      await factory.close()
    }
  })

  it('under hybrid, places each tenant in the model recorded for it, and a default for new ones', async () => {
    const factory = new PostgresStoreFactory({ url: db.url, isolation: 'hybrid', defaultModel: 'schema' })
    try {
      await factory.createTenant('big', { model: 'database' })
      await factory.openChangeStore('small/orders')
      const byId = new Map((await factory.listTenants()).map((t) => [t.id, t.model]))
      expect(byId.get('big')).toBe('database')
      expect(byId.get('small')).toBe('schema')
      await expect(factory.createTenant('big', { model: 'shared' })).rejects.toMatchObject({
        code: 'WEFT_TENANT_EXISTS',
      })
    } finally {
      await factory.close()
    }
    // A single-model factory refuses a tenant recorded in another model, and other models at creation.
    const shared = new PostgresStoreFactory({ url: db.url, isolation: 'shared' })
    try {
      await expect(shared.openChangeStore('big/orders')).rejects.toMatchObject({ code: 'WEFT_STORAGE_ERROR' })
      await expect(shared.createTenant('new', { model: 'schema' })).rejects.toMatchObject({
        code: 'WEFT_INVALID_ARGUMENT',
      })
    } finally {
      await shared.close()
    }
  })

  it('refuses bad options and names, and every call after close', async () => {
    expect(() => new PostgresStoreFactory({ url: '' })).toThrow(
      expect.objectContaining({ code: 'WEFT_INVALID_ARGUMENT' }),
    )
    expect(() => new PostgresStoreFactory({ url: db.url, isolation: 'tables' as never })).toThrow(
      expect.objectContaining({ code: 'WEFT_INVALID_ARGUMENT' }),
    )
    const factory = new PostgresStoreFactory({ url: db.url })
    await expect(factory.openChangeStore('no-tenant')).rejects.toMatchObject({ code: 'WEFT_INVALID_ARGUMENT' })
    const store = await factory.openChangeStore('acme/orders')
    expect(await factory.openChangeStore('acme/orders')).toBe(store)
    await factory.close()
    await factory.close()
    expect(store.closed).toBe(true)
    await expect(factory.openChangeStore('acme/orders')).rejects.toMatchObject({ code: 'WEFT_CLOSED' })
  })

  it('fails with WEFT_STORAGE_ERROR when PostgreSQL cannot be reached', async () => {
    const u = new URL(db.url)
    u.port = '1'
    const factory = new PostgresStoreFactory({ url: u.toString() })
    try {
      await expect(factory.openChangeStore('acme/orders')).rejects.toMatchObject({ code: 'WEFT_STORAGE_ERROR' })
    } finally {
      await factory.close()
    }
  })
})
