import type { ClusterMessage } from '@weft/core/backend'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PostgresStoreFactory } from '../src/index.ts'
import { adminQuery, createTestDatabase, type TestDatabase } from './helpers/pgDatabase.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase('bus')
})
afterAll(() => db.drop())

/** Resolves with the first message `pick` accepts. */
function next(bus: { subscribe(h: (m: ClusterMessage) => void): () => void }, pick = (_: ClusterMessage) => true) {
  return new Promise<ClusterMessage>((resolve) => {
    const off = bus.subscribe((m) => {
      if (!pick(m)) return
      off()
      resolve(m)
    })
  })
}

describe('PostgresClusterBus', () => {
  it("delivers a process's messages to the others, never back to itself", async () => {
    const a = new PostgresStoreFactory({ url: db.url })
    const b = new PostgresStoreFactory({ url: db.url })
    try {
      const [busA, busB] = [a.clusterBus(), b.clusterBus()]
      await Promise.all([busA.ready(), busB.ready()])
      const own: ClusterMessage[] = []
      busA.subscribe((m) => own.push(m))
      const got = next(busB)
      await busA.publish({ topic: 'stored', tenant: 'acme', data: { db: 'orders', arrival: 7 } })
      expect(await got).toEqual({ topic: 'stored', tenant: 'acme', data: { db: 'orders', arrival: 7 } })
      // A round trip back from B shows A had time to receive its own message, and did not.
      const back = next(busA)
      await busB.publish({ topic: 'ping', tenant: 'acme' })
      expect((await back).topic).toBe('ping')
      expect(own.map((m) => m.topic)).toEqual(['ping'])
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('sends the messages of one turn together, and those published while a send is under way together after it, in order', async () => {
    const a = new PostgresStoreFactory({ url: db.url })
    const b = new PostgresStoreFactory({ url: db.url })
    const original = pg.Client.prototype.query
    try {
      const [busA, busB] = [a.clusterBus(), b.clusterBus()]
      await Promise.all([busA.ready(), busB.ready()])
      const got: number[] = []
      const all = new Promise<void>((resolve) =>
        busB.subscribe((m) => {
          if (m.topic === 'n' && got.push(m.data!.i as number) === 81) resolve()
        }),
      )
      let statements = 0
      pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
        if (String((args[0] as { text?: string })?.text ?? args[0]).includes('pg_notify')) statements++
        return (original as (...a: unknown[]) => unknown).apply(this, args)
      } as typeof original
      const publish = (from: number, n: number) =>
        Array.from({ length: n }, (_, k) => busA.publish({ topic: 'n', tenant: 't', data: { i: from + k } }))
      // Published in one turn: one statement.
      await Promise.all(publish(0, 40))
      expect(statements).toBe(1)
      // One sent alone; the 40 published while it is under way go together after it.
      const first = publish(40, 1)
      await new Promise((r) => setImmediate(r))
      await Promise.all([...first, ...publish(41, 40)])
      pg.Client.prototype.query = original
      await all
      expect(got).toEqual(Array.from({ length: 81 }, (_, i) => i))
      expect(statements).toBe(3)
    } finally {
      pg.Client.prototype.query = original
      await a.close()
      await b.close()
    }
  })

  it('refuses a message too large for NOTIFY before sending it', async () => {
    const a = new PostgresStoreFactory({ url: db.url })
    try {
      const bus = a.clusterBus()
      await expect(bus.publish({ topic: 'x', tenant: 't', data: { big: 'y'.repeat(9_000) } })).rejects.toThrow(
        RangeError,
      )
    } finally {
      await a.close()
    }
  })

  it('reconnects a cut listening connection and reports the gap, then delivers again', async () => {
    const a = new PostgresStoreFactory({ url: db.url })
    const b = new PostgresStoreFactory({ url: db.url })
    try {
      const [busA, busB] = [a.clusterBus(), b.clusterBus()]
      await Promise.all([busA.ready(), busB.ready()])
      const gap = new Promise<void>((resolve) => busB.onGap(resolve))
      await adminQuery('SELECT pg_terminate_backend($1)', [await busB.listenerPid()])
      await gap
      const got = next(busB, (m) => m.topic === 'after')
      await busA.publish({ topic: 'after', tenant: 'acme' })
      expect((await got).tenant).toBe('acme')
    } finally {
      await a.close()
      await b.close()
    }
  })
})
