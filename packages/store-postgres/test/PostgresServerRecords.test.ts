import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addToCounter,
  exclusively,
  takeRecord,
  takeToken,
  takeTokens,
  updateRecord,
  type KeyValueStore,
} from '@weft/core/backend'
import { PostgresServerRecords } from '../src/PostgresServerRecords.ts'
import { PostgresStoreFactory } from '../src/index.ts'
import { createPool } from '../src/pool.ts'
import { createTestDatabase, type TestDatabase } from './helpers/pgDatabase.ts'

/** Two factories on one database: two processes' views of the server's records. */
let db: TestDatabase
let factories: PostgresStoreFactory[]
let kvs: KeyValueStore[]
beforeAll(async () => {
  db = await createTestDatabase('records')
  factories = [0, 1].map(() => new PostgresStoreFactory({ url: db.url, maxConnections: 3 }))
  kvs = await Promise.all(factories.map((f) => f.openKeyValueStore('weft-server')))
})
afterAll(async () => {
  await Promise.all(factories.map((f) => f.close()))
  await db.drop()
})

describe('the shared steps of the server records on PostgreSQL', () => {
  it('has them all, so the helpers use the storage and not their in-process stand-ins', () => {
    for (const kv of kvs)
      for (const m of ['take', 'increment', 'exclusive', 'update', 'takeTokens'] as const)
        expect(kv[m]).toBeTypeOf('function')
  })

  it('take: of many takers of one record across two pools, exactly one gets it', async () => {
    await kvs[0]!.put('one-use', new Uint8Array([7]))
    const got = await Promise.all(Array.from({ length: 12 }, (_, i) => takeRecord(kvs[i % 2]!, 'one-use')))
    expect(got.filter((v) => v !== undefined)).toEqual([new Uint8Array([7])])
    expect(await kvs[1]!.get('one-use')).toBeUndefined()
  })

  it('increment: concurrent additions from both pools all count, and counters are apart from records', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 20 }), async (deltas) => {
        const key = `n/${Math.random()}`
        await Promise.all(deltas.map((d, i) => addToCounter(kvs[i % 2]!, key, d)))
        expect(await addToCounter(kvs[0]!, key, 0)).toBe(deltas.reduce((a, b) => a + b, 0))
        expect(await kvs[0]!.get(key)).toBeUndefined()
      }),
      { numRuns: 10 },
    )
  })

  it('exclusive: sections of one name never overlap across pools; a section nested in itself runs', async () => {
    let inside = 0
    let most = 0
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        exclusively(kvs[i % 2]!, 'critical', async () => {
          most = Math.max(most, ++inside)
          await new Promise((r) => setTimeout(r, 5))
          await exclusively(kvs[i % 2]!, 'critical', async () => {}) // re-entered, not waited for
          inside--
        }),
      ),
    )
    expect(most).toBe(1)
  })

  it('exclusive: a failing section releases its lock', async () => {
    await expect(
      exclusively(kvs[0]!, 'fails', async () => {
        throw new Error('inside')
      }),
    ).rejects.toThrow('inside')
    await expect(exclusively(kvs[1]!, 'fails', async () => 'free')).resolves.toBe('free')
  })

  it('update: read-modify-writes from both pools, with sections of its lock among them, lose nothing', async () => {
    const bytesOf = (n: number) => new TextEncoder().encode(String(n))
    const numberOf = (b: Uint8Array | undefined) => (b ? Number(new TextDecoder().decode(b)) : 0)
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ by: fc.integer({ min: 1, max: 9 }), section: fc.boolean() }), {
          minLength: 1,
          maxLength: 12,
        }),
        async (ops) => {
          const key = `sum/${Math.random()}`
          let inside = 0
          let most = 0
          const add = (kv: KeyValueStore, by: number) =>
            updateRecord(kv, `lock/${key}`, key, async (value) => {
              most = Math.max(most, ++inside)
              await new Promise((r) => setTimeout(r, 1))
              inside--
              return bytesOf(numberOf(value) + by)
            })
          await Promise.all(
            ops.map(({ by, section }, i) =>
              section
                ? // The same lock taken by `exclusive`, then an update nested in it: runs, not waited for.
                  exclusively(kvs[i % 2]!, `lock/${key}`, () => add(kvs[i % 2]!, by))
                : add(kvs[i % 2]!, by),
            ),
          )
          expect(most).toBe(1)
          expect(numberOf(await kvs[0]!.get(key))).toBe(ops.reduce((a, o) => a + o.by, 0))
        },
      ),
      { numRuns: 8 },
    )
  })

  it('update: writes the bytes it is given, writes nothing when told so or when it fails, and lets the lock go', async () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i)
    await updateRecord(kvs[0]!, 'u', 'u/bytes', async (value) => {
      expect(value).toBeUndefined()
      return bytes
    })
    expect(await kvs[1]!.get('u/bytes')).toEqual(bytes)
    await updateRecord(kvs[1]!, 'u', 'u/bytes', async (value) => {
      expect(value).toEqual(bytes)
      return undefined
    })
    await expect(
      updateRecord(kvs[0]!, 'u', 'u/bytes', async () => {
        throw new Error('inside')
      }),
    ).rejects.toThrow('inside')
    expect(await kvs[0]!.get('u/bytes')).toEqual(bytes)
    await expect(exclusively(kvs[1]!, 'u', async () => 'free')).resolves.toBe('free')
  })

  it('takeToken: one bucket across both pools passes the burst and then its rate, no more', async () => {
    const limit = { rate: 1, burst: 5 }
    const started = Date.now()
    const waits = await Promise.all(Array.from({ length: 20 }, (_, i) => takeToken(kvs[i % 2]!, 'rate/t', limit)))
    const seconds = (Date.now() - started) / 1000
    const taken = waits.filter((w) => w === 0).length
    expect(taken).toBeGreaterThanOrEqual(5)
    expect(taken).toBeLessThanOrEqual(5 + Math.ceil(seconds * limit.rate))
    for (const w of waits.filter((x) => x > 0)) expect(w).toBeGreaterThanOrEqual(1)
  })

  it('takeTokens: takes of several tokens at once from both pools never pass the burst and the rate', async () => {
    // Almost no refill: what all the takes together got is exactly the burst, however they asked.
    const limit = { rate: 0.001, burst: 20 }
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 16 }), async (asks) => {
        const key = `lease/${Math.random()}`
        const got = await Promise.all(asks.map((most, i) => takeTokens(kvs[i % 2]!, key, limit, most)))
        for (const [i, g] of got.entries()) {
          expect(g.taken).toBeGreaterThanOrEqual(0)
          expect(g.taken).toBeLessThanOrEqual(asks[i]!)
          if (g.taken > 0) expect(g.wait).toBe(0)
          else expect(g.wait).toBeGreaterThanOrEqual(1)
        }
        const total = got.reduce((n, g) => n + g.taken, 0)
        expect(total).toBe(
          Math.min(
            limit.burst,
            asks.reduce((a, b) => a + b, 0),
          ),
        )
      }),
      { numRuns: 15 },
    )
  })

  it('takeTokens: a take answers the whole tokens left when fewer than it asked for', async () => {
    const limit = { rate: 0.001, burst: 5 }
    expect(await takeTokens(kvs[0]!, 'part', limit, 3)).toEqual({ taken: 3, wait: 0 })
    expect(await takeTokens(kvs[1]!, 'part', limit, 3)).toEqual({ taken: 2, wait: 0 })
    expect(await takeTokens(kvs[0]!, 'part', limit, 3)).toMatchObject({ taken: 0 })
  })

  it('takeToken: a bucket made by many requests at once passes its burst, no more', async () => {
    // Requests that race the one creating the bucket row find it only after their statement began:
    // each must still be judged by the row, never counted as passing for want of one to read.
    const limit = { rate: 0.001, burst: 3 }
    for (let k = 0; k < 15; k++) {
      const waits = await Promise.all(Array.from({ length: 12 }, (_, i) => takeToken(kvs[i % 2]!, `race/${k}`, limit)))
      expect(waits.filter((w) => w === 0)).toHaveLength(3)
    }
  })
})

describe('the server records behind a pooler that cannot keep prepared statements', () => {
  /** The statements the one connection of a pool has prepared, after a run of every kind of step. */
  async function preparedAfterSteps(prepared: boolean): Promise<string[]> {
    const pool = createPool(db.url, 1)
    const locks = createPool(db.url, 1)
    try {
      const kv = new PostgresServerRecords({ pool, locks: () => locks, store: `p-${prepared}`, prepared })
      await kv.put('a', new Uint8Array([1]))
      expect(await kv.get('a')).toEqual(new Uint8Array([1]))
      expect(await kv.keys()).toEqual(['a'])
      expect(await takeRecord(kv, 'a')).toEqual(new Uint8Array([1]))
      await kv.put('b', new Uint8Array([2]))
      await kv.delete('b')
      expect(await addToCounter(kv, 'n', 2)).toBe(2)
      expect(await addToCounter(kv, 'n', 0)).toBe(2)
      expect(await takeTokens(kv, 'bucket', { rate: 1, burst: 2 }, 1)).toEqual({ taken: 1, wait: 0 })
      const { rows } = await pool.query<{ name: string }>('SELECT name FROM pg_prepared_statements ORDER BY name')
      return rows.map((r) => r.name)
    } finally {
      await Promise.all([pool.end(), locks.end()])
    }
  }

  it('names its statements by default, and none with prepared: false, doing the same steps', async () => {
    expect(await preparedAfterSteps(true)).toEqual([
      'weft-counter-add',
      'weft-counter-read',
      'weft-server-kv-delete',
      'weft-server-kv-get',
      'weft-server-kv-keys',
      'weft-server-kv-put',
      'weft-server-kv-take',
      'weft-take-tokens',
    ])
    expect(await preparedAfterSteps(false)).toEqual([])
  })
})
