import { addToCounter, ErrorCodes, ready, takeTokens } from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Identifiers, PostgresStoreFactory } from '../src/index.ts'
import { adminQuery, createTestDatabase, type TestDatabase } from './helpers/pgDatabase.ts'

/**
 * `sessionUrl` takes the connections that must keep a session (locks, LISTEN), so that `url` may
 * go through a pooler in transaction mode. Each URL names its connections by `application_name`,
 * and the tests read from `pg_stat_activity` which connection did what.
 */
let db: TestDatabase
let other: TestDatabase
beforeAll(async () => {
  await ready()
  ;[db, other] = await Promise.all([createTestDatabase('session'), createTestDatabase('elsewhere')])
})
afterAll(async () => {
  await Promise.all([db.drop(), other.drop()])
})

function named(url: string, name: string): string {
  const u = new URL(url)
  u.searchParams.set('application_name', name)
  return u.toString()
}

/** The `application_name` of each backend holding (or waiting for) an advisory lock in `database`. */
async function advisoryHolders(database: string, granted: boolean): Promise<string[]> {
  const { rows } = await adminQuery<{ app: string }>(
    `SELECT a.application_name AS app FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     JOIN pg_database d ON d.oid = l.database
     WHERE l.locktype = 'advisory' AND d.datname = $1 AND l.granted = $2`,
    [database, granted],
  )
  return rows.map((r) => r.app).sort()
}

async function appOf(pid: number | undefined): Promise<string | undefined> {
  const { rows } = await adminQuery<{ app: string }>(
    'SELECT application_name AS app FROM pg_stat_activity WHERE pid = $1',
    [pid],
  )
  return rows[0]?.app
}

describe('PostgresStoreFactory sessionUrl', () => {
  it('holds the server records’ locks and the cluster bus on sessionUrl, and nothing of the sort on url', async () => {
    const factory = new PostgresStoreFactory({
      url: named(db.url, 'weft_pooled'),
      sessionUrl: named(db.url, 'weft_session'),
      maxConnections: 3,
    })
    try {
      const records = await factory.openKeyValueStore('weft-server')
      await records.put('k', new Uint8Array([1]))
      const inside = await records.exclusive!('critical', () => advisoryHolders(db.name, true))
      expect(inside).toEqual(['weft_session'])
      const bus = factory.clusterBus()
      await bus.ready()
      expect(await appOf(await bus.listenerPid())).toBe('weft_session')
      // The pooled URL did the rest of the work.
      const { rows } = await adminQuery<{ app: string }>(
        `SELECT DISTINCT application_name AS app FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'weft_%'`,
        [db.name],
      )
      expect(rows.map((r) => r.app).sort()).toEqual(['weft_pooled', 'weft_session'])
    } finally {
      await factory.close()
    }
  })

  it('without sessionUrl, locks are held on url (so the test above tells the two apart)', async () => {
    const factory = new PostgresStoreFactory({ url: named(db.url, 'weft_alone'), maxConnections: 2 })
    try {
      const records = await factory.openKeyValueStore('weft-server')
      expect(await records.exclusive!('critical', () => advisoryHolders(db.name, true))).toEqual(['weft_alone'])
    } finally {
      await factory.close()
    }
  })

  it('orders the creation of a tenant database with a lock on sessionUrl', async () => {
    const factory = new PostgresStoreFactory({
      url: named(db.url, 'weft_pooled'),
      sessionUrl: named(db.url, 'weft_session'),
      isolation: 'database',
      maxConnections: 2,
    })
    // Another process creating the same database holds the lock; this one waits for it.
    const database = Identifiers.database(db.name, 'acme')
    const holder = new pg.Client({ connectionString: db.url })
    await holder.connect()
    try {
      await holder.query(`SELECT pg_advisory_lock(hashtext('weft-create-database'), hashtext($1))`, [database])
      const opening = factory.openChangeStore('acme/orders')
      let waiting: string[] = []
      for (let i = 0; i < 200 && waiting.length === 0; i++) {
        waiting = await advisoryHolders(db.name, false)
        if (waiting.length === 0) await new Promise((r) => setTimeout(r, 25))
      }
      expect(waiting).toEqual(['weft_session'])
      await holder.query(`SELECT pg_advisory_unlock(hashtext('weft-create-database'), hashtext($1))`, [database])
      const store = await opening
      expect(await store.getAllChangeHashes()).toEqual([])
    } finally {
      await holder.end()
      await factory.close()
    }
  })

  it('with sessionUrl, names no statement on url unless preparedStatements says so; locks stay named on sessions', async () => {
    // Records which connection (by application_name) was sent which named statement.
    const sent: string[] = []
    const query = pg.Client.prototype.query
    pg.Client.prototype.query = function (this: pg.Client, config: unknown, ...rest: unknown[]) {
      const name = (config as { name?: unknown } | null)?.name
      const app = (this as unknown as { connectionParameters: { application_name?: string } }).connectionParameters
        .application_name
      if (typeof name === 'string' && app?.startsWith('weft_')) sent.push(`${app} ${name}`)
      return (query as (...a: unknown[]) => unknown).call(this, config, ...rest)
    } as typeof query
    try {
      const steps = async (preparedStatements?: boolean) => {
        sent.length = 0
        const factory = new PostgresStoreFactory({
          url: named(db.url, 'weft_pooled'),
          sessionUrl: named(db.url, 'weft_session'),
          ...(preparedStatements === undefined ? {} : { preparedStatements }),
          maxConnections: 2,
        })
        try {
          const records = await factory.openKeyValueStore('weft-server')
          await records.put('k', new Uint8Array([1]))
          await records.increment!('n', 1)
          await records.exclusive!('critical', async () => undefined)
          return [...new Set(sent)].sort()
        } finally {
          await factory.close()
        }
      }
      expect(await steps()).toEqual(['weft_session weft-lock', 'weft_session weft-unlock'])
      expect(await steps(true)).toEqual([
        'weft_pooled weft-counter-add',
        'weft_pooled weft-server-kv-put',
        'weft_session weft-lock',
        'weft_session weft-unlock',
      ])
    } finally {
      pg.Client.prototype.query = query
    }
  })

  it('leaves nothing in the session of a main-URL connection, for any tenant model, so a transaction pooler may hand it on', async () => {
    // Through a pooler in transaction mode, the next transaction may run on any server connection:
    // safe only if no statement on url leaves settings, a role or prepared statements behind.
    const clients: pg.Client[] = []
    const connect = pg.Client.prototype.connect
    pg.Client.prototype.connect = function (this: pg.Client, ...a: unknown[]) {
      const app = (this as unknown as { connectionParameters: { application_name?: string } }).connectionParameters
        .application_name
      if (app === 'weft_one') clients.push(this)
      return (connect as (...x: unknown[]) => unknown).apply(this, a)
    } as typeof connect
    const factory = new PostgresStoreFactory({
      url: named(db.url, 'weft_one'),
      sessionUrl: named(db.url, 'weft_session'),
      isolation: 'hybrid',
      maxConnections: 1,
    })
    try {
      const f = new EntryFactory(3)
      const entries = Array.from({ length: 6 }, (_, i) => envelope(f.entry(i % 3, [], 64)))
      for (const model of ['shared', 'schema'] as const) {
        await factory.createTenant(`t-${model}`, { model })
        const store = await factory.openChangeStore(`t-${model}/orders`)
        expect((await store.appendMany(entries)).added).toHaveLength(6)
        expect((await store.scan(null)).entries).toHaveLength(6)
        expect(await store.getChanges([entries[0]!.hash])).toHaveLength(1)
        const kv = await factory.openKeyValueStore(`t-${model}/records`)
        await kv.put('a', new Uint8Array([1]))
        expect(await kv.get('a')).toEqual(new Uint8Array([1]))
      }
      const records = await factory.openKeyValueStore('weft-server')
      await records.put('k', new Uint8Array([2]))
      await addToCounter(records, 'n', 1)
      await takeTokens(records, 'b', { rate: 1, burst: 2 }, 1)
      // One connection at most: every statement above ran on it.
      expect(clients).toHaveLength(1)
      const { rows } = await clients[0]!.query<{
        tenant: string | null
        role: string
        login: string
        path: string
        n: number
      }>(
        `SELECT current_setting('app.tenant_id', true) AS tenant, current_user AS role, session_user AS login,
                current_setting('search_path') AS path, (SELECT count(*)::int FROM pg_prepared_statements) AS n`,
      )
      expect(rows[0]!.tenant ?? '').toBe('')
      expect(rows[0]!.role).toBe(rows[0]!.login)
      expect(rows[0]!.path).toBe('"$user", public')
      expect(rows[0]!.n).toBe(0)
    } finally {
      pg.Client.prototype.connect = connect
      await factory.close()
    }
  })

  it('refuses a sessionUrl that reaches another database, and an empty one', async () => {
    const factory = new PostgresStoreFactory({ url: db.url, sessionUrl: other.url, maxConnections: 1 })
    try {
      await expect(factory.migrate()).rejects.toMatchObject({
        code: ErrorCodes.INVALID_ARGUMENT,
        message: expect.stringMatching(/sessionUrl reaches another/),
      })
      // Nothing of the tenants' is reachable through it either.
      await expect(factory.openChangeStore('acme/orders')).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT })
    } finally {
      await factory.close()
    }
    expect(() => new PostgresStoreFactory({ url: db.url, sessionUrl: '' })).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }),
    )
  })
})
