import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addToCounter, type KeyValueStore } from '@weft/core/backend'
import { PostgresStoreFactory, type PostgresClusterBus } from '@weft/store-postgres'
import { adminQuery, createTestDatabase, type TestDatabase } from '../../store-postgres/test/helpers/pgDatabase.ts'
import { ClusterState } from '../src/cluster/ClusterState.ts'

/** Two processes' cluster state over one PostgreSQL, each with its own factory and bus. */
let db: TestDatabase
let factories: PostgresStoreFactory[]
let buses: PostgresClusterBus[]
let states: ClusterState[]
let kv: KeyValueStore
const invalidated: string[][] = [[], []]
const gaps = [0, 0]
let gapSeen: (() => void) | undefined
let counterReads = 0
let invalidatedSeen: ((tenant: string) => void) | undefined

beforeAll(async () => {
  db = await createTestDatabase('clusterstate')
  factories = [0, 1].map(() => new PostgresStoreFactory({ url: db.url, maxConnections: 3 }))
  const kvs = await Promise.all(factories.map((f) => f.openKeyValueStore('weft-server')))
  kv = kvs[0]!
  // The first process's reads of a version (an increment by 0), counted.
  const increment = kv.increment!.bind(kv)
  kv.increment = (key, delta) => {
    if (delta === 0) counterReads++
    return increment(key, delta)
  }
  buses = factories.map((f) => f.clusterBus())
  states = kvs.map((k, i) => new ClusterState(k, buses[i]!))
  states.forEach((s, i) =>
    s.attach({
      invalidate: async (tenant) => {
        invalidated[i]!.push(tenant)
        if (i === 1) invalidatedSeen?.(tenant)
      },
      event: () => {},
      gap: () => {
        gaps[i]!++
        gapSeen?.()
      },
      log: () => {},
    }),
  )
  await Promise.all(buses.map((b) => b.ready()))
})
afterAll(async () => {
  for (const s of states) s.close()
  for (const f of factories) await f.close()
  await db.drop()
})

describe('ClusterState over PostgreSQL', () => {
  it("a change in one process's tenant section reaches the other by the bus, and by its version at the next check", async () => {
    await states[1]!.fresh('acme') // seen: nothing cached of acme is stale now
    invalidated[1]!.length = 0
    const told = new Promise<void>((resolve) => (invalidatedSeen = (t) => t === 'acme' && resolve()))
    await states[0]!.tenantSection('acme', async () => {})
    await told
    // Told already: the next check reads the version and finds nothing new.
    invalidated[1]!.length = 0
    await states[1]!.fresh('acme')
    expect(invalidated[1]).toEqual([])
    // A change the bus did not carry (the counter moved by hand) is found at the next check.
    await addToCounter(kv, 'tenant/acme', 1)
    await states[1]!.fresh('acme')
    expect(invalidated[1]).toEqual(['acme'])
  })

  it('after its bus connection is cut and back, a process re-checks its sockets and trusts no version it saw', async () => {
    await states[1]!.fresh('globex')
    const back = new Promise<void>((resolve) => (gapSeen = resolve))
    const pid = await buses[1]!.listenerPid()
    await adminQuery('SELECT pg_terminate_backend($1)', [pid])
    await back
    expect(gaps).toEqual([0, 1])
    invalidated[1]!.length = 0
    await states[1]!.fresh('globex')
    expect(invalidated[1]).toEqual(['globex'])
  })

  it('sections of one name never overlap across processes, and the one after a change elsewhere finds it stale', async () => {
    let inside = 0
    let most = 0
    const stale = [0, 0]
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        states[i % 2]!.section(
          'usage/acme',
          () => void stale[i % 2]!++,
          async () => {
            most = Math.max(most, ++inside)
            await new Promise((r) => setTimeout(r, 3))
            inside--
          },
          { write: true },
        ),
      ),
    )
    expect(most).toBe(1)
    expect(stale[0]! + stale[1]!).toBeGreaterThanOrEqual(1)
  })

  it('reads of one turn share one read of the version; a change elsewhere still shows at the next turn', async () => {
    const reads = () => counterReads
    const name = 'tenant/shared-turn'
    const read = (i: number, seen: string[]) =>
      states[i]!.section(
        name,
        () => void seen.push('stale'),
        async () => void seen.push('read'),
        { write: false },
      )
    const seen: string[] = []
    await read(0, seen) // this process learns the version
    const before = reads()
    await Promise.all(Array.from({ length: 10 }, () => read(0, seen)))
    expect(reads() - before).toBe(1)
    // A change by the other process: the next read here finds its version moved, and runs stale first.
    await states[1]!.section(
      name,
      () => {},
      async () => {},
      { write: true },
    )
    seen.length = 0
    await read(0, seen)
    expect(seen).toEqual(['stale', 'read'])
  })
})
