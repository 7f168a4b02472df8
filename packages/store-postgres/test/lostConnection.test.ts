import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPool } from '../src/pool.ts'
import { adminQuery, createTestDatabase, type TestDatabase } from './helpers/pgDatabase.ts'

describe('a connection lost while checked out', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase('lost')
  })
  afterAll(() => db.drop())

  it('fails the holder’s query instead of crashing the process, and the pool recovers', async () => {
    const pool = createPool(db.url, 1)
    try {
      const held = await pool.connect()
      // While checked out, node-postgres's pool does not listen for the client's errors.
      expect(held.listenerCount('error')).toBeGreaterThan(0)
      const pid = (await held.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid
      const ended = new Promise((r) => held.once('end', r))
      await adminQuery('SELECT pg_terminate_backend($1)', [pid])
      await ended // the client emitted `error` with no holder waiting: nothing was thrown
      await expect(held.query('SELECT 1')).rejects.toThrow()
      held.release(true)
      expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1)
    } finally {
      await pool.end()
    }
  })
})
