import { beforeAll, describe, expect, it } from 'vitest'
import {
  ErrorCodes,
  isWeftError,
  MemoryStoreFactory,
  ready,
  WeftError,
  type ChangeStore,
  type EntryEnvelope,
  type KeyValueStore,
  type StoreFactory,
} from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing'
import { DEFAULT_LIMITS } from '@weft/protocol'
import { DEFAULT_QUOTAS, WeftServer, type TenantQuota } from '../src/index.ts'
import { RateLimiter } from '../src/RateLimiter.ts'
import { tenantQuotaResolver } from '../src/tenantQuota.ts'
import { TenantStores } from '../src/TenantStores.ts'
import { UsageLedger } from '../src/UsageLedger.ts'

beforeAll(ready)

const quota = (q: Partial<TenantQuota> = {}): TenantQuota => ({ ...DEFAULT_QUOTAS, ...q })
const size = (es: readonly EntryEnvelope[]) => es.reduce((s, e) => s + e.bytes.length, 0)
const never = new Promise<never>(() => {})

/**
 * The same stores, except that `appendMany` stops for good at `stage` once `armed`: before the
 * store commits (the append is lost with the process) or after (it is durable, nothing after runs).
 * A stopped ledger is the ledger of a killed process; a new ledger on the same storage is the restart.
 */
function dying(factory: StoreFactory, stage: 'before-commit' | 'after-commit', armed: () => boolean): StoreFactory {
  return {
    async openChangeStore(name) {
      const store = await factory.openChangeStore(name)
      return new Proxy(store, {
        get(target, prop, receiver) {
          if (prop === 'appendMany') {
            return async (entries: Iterable<EntryEnvelope>) => {
              if (!armed()) return target.appendMany(entries)
              if (stage === 'after-commit') await target.appendMany(entries)
              return never
            }
          }
          const v = Reflect.get(target, prop, receiver) as unknown
          return typeof v === 'function' ? v.bind(target) : v
        },
      }) as ChangeStore
    },
    openKeyValueStore: (name) => factory.openKeyValueStore(name),
    close: () => factory.close(),
  }
}

async function setup() {
  const factory = new MemoryStoreFactory()
  const kv = await factory.openKeyValueStore('weft-server')
  const f = new EntryFactory()
  return {
    factory,
    kv,
    entries: (n: number, payload = 100) => Array.from({ length: n }, (_, i) => envelope(f.entry(i, [], payload))),
  }
}

describe('UsageLedger after a crash', () => {
  it('counts an append that was durable when the process died, exactly once', async () => {
    const { factory, kv, entries } = await setup()
    const first = entries(3)
    const second = entries(4)
    let armed = false
    const killed = new UsageLedger(kv, new TenantStores(dying(factory, 'after-commit', () => armed)))
    await killed.append('t', 'db', first, quota())
    armed = true
    void killed.append('t', 'db', second, quota()) // dies after the store committed
    const store = await factory.openChangeStore('t/db')
    while ((await store.head()).count < 7) await new Promise((r) => setTimeout(r, 1))

    const restarted = new UsageLedger(kv, new TenantStores(factory))
    expect(await restarted.usage('t')).toEqual({ bytes: size(first) + size(second), entries: 7, databases: 1 })
    // Recovered once: a second restart reads the settled record, not the pending one again.
    expect(await new UsageLedger(kv, new TenantStores(factory)).usage('t')).toEqual({
      bytes: size(first) + size(second),
      entries: 7,
      databases: 1,
    })
  })

  it('counts nothing of an append the process died before committing', async () => {
    const { factory, kv, entries } = await setup()
    const first = entries(2)
    let armed = false
    const killed = new UsageLedger(kv, new TenantStores(dying(factory, 'before-commit', () => armed)))
    await killed.append('t', 'db', first, quota())
    armed = true
    const lost = entries(5)
    void killed.append('t', 'db', lost, quota())
    await new Promise((r) => setTimeout(r, 20))
    const restarted = new UsageLedger(kv, new TenantStores(factory))
    expect(await restarted.usage('t')).toEqual({ bytes: size(first), entries: 2, databases: 1 })
    // The client never heard back and pushes again: stored and counted now.
    expect((await restarted.append('t', 'db', lost, quota())).added).toHaveLength(5)
    expect(await restarted.usage('t')).toMatchObject({ bytes: size(first) + size(lost), entries: 7 })
  })

  it('settles a failed append by what the store holds, and a failed record write by reading the record again', async () => {
    const { factory, kv, entries } = await setup()
    let failAppend = false
    /** Which of the coming puts fail, in order (true: fails). */
    let puts: boolean[] = []
    const failing: StoreFactory = {
      ...dying(factory, 'after-commit', () => false),
      openChangeStore: async (name) => {
        const store = await factory.openChangeStore(name)
        return new Proxy(store, {
          get(target, prop) {
            if (prop === 'appendMany') {
              return async (es: Iterable<EntryEnvelope>) => {
                if (failAppend) throw new WeftError(ErrorCodes.STORAGE_ERROR, 'disk on fire')
                return target.appendMany(es)
              }
            }
            const v = Reflect.get(target, prop) as unknown
            return typeof v === 'function' ? v.bind(target) : v
          },
        }) as ChangeStore
      },
    }
    const flaky: KeyValueStore = {
      get: (k) => kv.get(k),
      keys: (p) => kv.keys(p),
      delete: (k) => kv.delete(k),
      close: () => kv.close(),
      put: (k, v) => (puts.shift() ? Promise.reject(new WeftError(ErrorCodes.STORAGE_ERROR, 'full')) : kv.put(k, v)),
    }
    const logged: string[] = []
    const ledger = new UsageLedger(flaky, new TenantStores(failing), (m) => logged.push(m))
    const a = entries(2)
    failAppend = true
    await expect(ledger.append('t', 'db', a, quota())).rejects.toMatchObject({ code: ErrorCodes.STORAGE_ERROR })
    expect(await ledger.usage('t')).toMatchObject({ entries: 0, bytes: 0 })
    failAppend = false
    // The record write after the append fails (the first put takes the hold, naming its two entries;
    // the second would settle it): the entries are stored and reported; the ledger reads its record
    // again and settles the hold by what the store holds of the entries it names.
    puts = [false, true]
    const r = await ledger.append('t', 'db', a, quota())
    expect(r.added).toHaveLength(2)
    expect(logged).toEqual([expect.stringMatching(/could not record the storage use of t\/db/)])
    expect(await ledger.usage('t')).toMatchObject({ entries: 2, bytes: size(a) })
    expect(await new UsageLedger(kv, new TenantStores(factory)).usage('t')).toMatchObject({
      entries: 2,
      bytes: size(a),
    })
  })
})

describe('UsageLedger', () => {
  it('measures a database written before quotas existed when it first opens it, and counts it once', async () => {
    const { factory, kv, entries } = await setup()
    const old = entries(12, 300)
    await (await factory.openChangeStore('t/old')).appendMany(old)
    const ledger = new UsageLedger(kv, new TenantStores(factory))
    expect(await ledger.usage('t')).toEqual({ bytes: 0, entries: 0, databases: 0 })
    await ledger.open('t', 'old', quota())
    expect(await ledger.usage('t')).toEqual({ bytes: size(old), entries: 12, databases: 1 })
    const again = new UsageLedger(kv, new TenantStores(factory))
    await again.open('t', 'old', quota())
    expect(await again.usage('t')).toEqual({ bytes: size(old), entries: 12, databases: 1 })
    // Over its quota from the start: nothing new fits, what it holds stays readable.
    const r = await again.append('t', 'old', [...old.slice(0, 2), ...entries(1)], quota({ maxEntriesPerTenant: 10 }))
    expect(r.existing).toHaveLength(2)
    expect(r.rejected.map((x) => x.error.code)).toEqual([ErrorCodes.QUOTA_EXCEEDED])
  })

  it('says what use an append left, as a read right after it finds it; nothing when it added nothing', async () => {
    const { factory, kv, entries } = await setup()
    const ledger = new UsageLedger(kv, new TenantStores(factory))
    const first = entries(3)
    const a = await ledger.append('t', 'db', first, quota())
    expect(a.used).toEqual({ bytes: size(first), entries: 3 })
    const b = await ledger.append('t', 'other', entries(2), quota())
    const { databases: _, ...read } = await ledger.usage('t')
    expect(b.used).toEqual(read)
    expect((await ledger.append('t', 'db', first, quota())).used).toBeUndefined()
  })

  it('refuses a new database over the count before creating anything', async () => {
    const { factory, kv } = await setup()
    const ledger = new UsageLedger(kv, new TenantStores(factory))
    await ledger.open('t', 'a', quota({ maxDatabasesPerTenant: 1 }))
    await ledger.open('t', 'a', quota({ maxDatabasesPerTenant: 1 }))
    const refused = await ledger.open('t', 'b', quota({ maxDatabasesPerTenant: 1 })).catch((e: unknown) => e)
    expect(isWeftError(refused, ErrorCodes.QUOTA_EXCEEDED)).toBe(true)
    expect(await new UsageLedger(kv, new TenantStores(factory)).usage('t')).toMatchObject({ databases: 1 })
    expect(await kv.keys('usage/t/')).toEqual(['usage/t/~/state'])
  })
})

describe('tenant quotas and rates', () => {
  it("resolve the defaults, the options and a tenant's override in that order", () => {
    const resolve = tenantQuotaResolver(
      { maxEntriesPerTenant: 5, forTenant: (t) => (t === 'big' ? { maxEntriesPerTenant: 50 } : undefined) },
      DEFAULT_LIMITS,
    )
    expect(resolve('small')).toEqual({ ...DEFAULT_QUOTAS, maxEntriesPerTenant: 5 })
    expect(resolve('big').maxEntriesPerTenant).toBe(50)
    // The tenant rate follows the per-client rate unless set.
    expect(tenantQuotaResolver({}, { ...DEFAULT_LIMITS, requestsPerSecond: 10, burst: 20 })('x')).toMatchObject({
      tenantRequestsPerSecond: 50,
      tenantBurst: 100,
    })
  })

  it('refuse nonsense limits when the server starts', async () => {
    for (const bad of [
      { maxBytesPerTenant: -1 },
      { maxEntriesPerTenant: Number.NaN },
      { tenantRequestsPerSecond: 0 },
    ]) {
      await expect(WeftServer.start({ quotas: bad })).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT })
    }
  })

  it('rate-limit each key at its own rate and say when to retry', () => {
    const r = new RateLimiter(1_000, 1_000)
    const t = 1_000_000
    const slow = { rate: 0.5, burst: 2 }
    expect([r.take('tenant', t, slow), r.take('tenant', t, slow), r.take('tenant', t, slow)]).toEqual([
      true,
      true,
      false,
    ])
    expect(r.retryAfter('tenant', t, slow)).toBe(2)
    expect(r.retryAfter('tenant', t + 1_500, slow)).toBe(1)
    expect(r.take('tenant', t + 2_000, slow)).toBe(true)
    expect(r.take('other', t)).toBe(true)
    expect(r.take('free', t, { rate: Infinity, burst: 1 })).toBe(true)
  })
})
