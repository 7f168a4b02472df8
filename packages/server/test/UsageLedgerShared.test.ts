import fc from 'fast-check'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { exclusively, MemoryStoreFactory, packHashes, packValue, ready, type EntryEnvelope } from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing'
import { DEFAULT_QUOTAS, type TenantQuota } from '../src/index.ts'
import { TenantStores } from '../src/TenantStores.ts'
import { HOLD_TIMEOUT_MS, UsageLedger } from '../src/UsageLedger.ts'

beforeAll(ready)
afterEach(() => vi.useRealTimers())

const quota = (q: Partial<TenantQuota> = {}): TenantQuota => ({ ...DEFAULT_QUOTAS, ...q })
const size = (es: readonly EntryEnvelope[]) => es.reduce((s, e) => s + e.bytes.length, 0)

async function setup() {
  const factory = new MemoryStoreFactory()
  const kv = await factory.openKeyValueStore('weft-server')
  const f = new EntryFactory()
  let n = 0
  /** Processes over the one storage: each its own ledger, shared. */
  const process = () => {
    const ledger = new UsageLedger(kv, new TenantStores(factory))
    ledger.share()
    return ledger
  }
  return {
    factory,
    kv,
    process,
    entries: (count: number) => Array.from({ length: count }, () => envelope(f.entry(n++, [], 60))),
  }
}

describe('UsageLedger shared by several processes', () => {
  it('ends exactly at the entry quota whatever the processes and batches pushing at once, repeats included (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.tuple(fc.nat(2), fc.integer({ min: 1, max: 6 }), fc.boolean()), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 30 }),
        async (processes, pushes, max) => {
          const { process, entries } = await setup()
          const ledgers = Array.from({ length: processes }, process)
          const q = quota({ maxEntriesPerTenant: max })
          // A push may repeat the one before it (the same entries pushed twice at once).
          let previous: EntryEnvelope[] = []
          const batches = pushes.map(([p, count, again]) => ({
            ledger: ledgers[p % processes]!,
            entries: (previous = again && previous.length ? previous : entries(count)),
          }))
          const results = await Promise.all(batches.map((b) => b.ledger.append('t', 'db', b.entries, q)))
          const added = results.reduce((s, r) => s + r.added.length, 0)
          const distinct = new Set(batches.flatMap((b) => b.entries.map((e) => e.hash))).size
          expect(added).toBe(Math.min(distinct, max))
          results.forEach((r, i) => {
            // What a push leaves out is a suffix of it, refused for the quota.
            const all = batches[i]!.entries.map((e) => e.hash)
            expect(r.rejected.map((x) => x.hash)).toEqual(all.slice(all.length - r.rejected.length))
            expect(r.rejected.every((x) => x.error.code === 'WEFT_QUOTA_EXCEEDED')).toBe(true)
          })
          for (const l of ledgers) expect((await l.usage('t')).entries).toBe(added)
        },
      ),
      { numRuns: 40 },
    )
  })

  it('counts the same entries pushed through two processes at once once', async () => {
    const { process, entries } = await setup()
    const [a, b] = [process(), process()]
    const same = entries(5)
    const [ra, rb] = await Promise.all([a.append('t', 'db', same, quota()), b.append('t', 'db', same, quota())])
    expect(ra.added.length + rb.added.length).toBe(5)
    expect(await b.usage('t')).toEqual({ bytes: size(same), entries: 5, databases: 1 })
  })

  it("reads the use without waiting for the tenant's lock, and a read during pushes sees a state a push left", async () => {
    const { kv, process, entries } = await setup()
    const [a, b] = [process(), process()]
    const first = entries(4)
    await a.append('t', 'db', first, quota())
    // Another process holds the tenant's lock (a step under way there): a read still answers.
    let release!: () => void
    const held = exclusively(kv, 'usage/t', () => new Promise<void>((r) => (release = r)))
    const read = await Promise.race([b.usage('t'), new Promise((r) => setTimeout(() => r('waited'), 1_000))])
    release()
    await held
    expect(read).toEqual({ bytes: size(first), entries: 4, databases: 1 })
    // Reads racing pushes each see the use before, between or after them, never a part of one.
    const more = [entries(2), entries(3)]
    const totals = new Set([4, 6, 7, 9])
    const [, , ...reads] = await Promise.all([
      a.append('t', 'db', more[0]!, quota()),
      b.append('t', 'db', more[1]!, quota()),
      ...Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).usage('t')),
    ])
    for (const r of reads) expect(totals.has((r as { entries: number }).entries)).toBe(true)
    expect(await b.usage('t')).toMatchObject({ entries: 9 })
  })

  for (const apart of [false, true]) {
    it(`leaves another process's hold standing until it has timed out, then settles it by what the store holds (names ${apart ? 'in a record of their own' : 'in the use record'})`, async () => {
      const { factory, kv, process, entries } = await setup()
      const stored = entries(3)
      const lost = entries(2)
      // A process took a hold for five entries, wrote their names, stored three, and died.
      const id = 'dead-process-hold'
      await (await factory.openChangeStore('t/db')).appendMany(stored)
      const names = packHashes([...stored, ...lost].map((e) => e.hash))
      const hold = ['db', size(stored) + size(lost), 5, Date.now(), ...(apart ? [] : [names])]
      await kv.put('usage/t/~/state', packValue({ v: 2, dbs: { db: [0, 0] }, holds: { [id]: hold } }))
      if (apart) await kv.put(`usage/t/~/hold/${id}`, names)

      const other = process()
      // It may still be alive: its hold counts as used, whole.
      expect(await other.usage('t')).toEqual({ bytes: size(stored) + size(lost), entries: 5, databases: 1 })
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(Date.now() + HOLD_TIMEOUT_MS + 1)
      expect(await other.usage('t')).toEqual({ bytes: size(stored), entries: 3, databases: 1 })
      expect(await kv.keys('usage/t/~/hold/')).toEqual([])
    })
  }
})

describe('UsageLedger over the records of an earlier version', () => {
  it('moves the per-database records into one, counting what an append under way had stored', async () => {
    const { factory, kv, entries } = await setup()
    const a = entries(4)
    const pending = entries(3)
    await (await factory.openChangeStore('t/a')).appendMany([...a, pending[0]!])
    await kv.put(
      'usage/t/a',
      packValue({ v: 1, bytes: size(a), entries: 4, pending: packHashes(pending.map((e) => e.hash)) }),
    )
    await kv.put('usage/t/b', packValue({ v: 1, bytes: 10, entries: 1 }))
    const ledger = new UsageLedger(kv, new TenantStores(factory))
    const expected = { bytes: size(a) + pending[0]!.bytes.length + 10, entries: 6, databases: 2 }
    expect(await ledger.usage('t')).toEqual(expected)
    expect(await kv.keys('usage/t/')).toEqual(['usage/t/~/state'])
    expect(await new UsageLedger(kv, new TenantStores(factory)).usage('t')).toEqual(expected)
  })
})

describe('UsageLedger under load', () => {
  it('runs the steps of concurrent pushes together: fewer writes of the use than two per push', async () => {
    const { factory, kv, entries } = await setup()
    let writes = 0
    const counted = { ...kv, get: kv.get.bind(kv), keys: kv.keys.bind(kv), delete: kv.delete.bind(kv) }
    counted.put = (k: string, v: Uint8Array) => {
      if (k === 'usage/t/~/state') writes++
      return kv.put(k, v)
    }
    const ledgers = [0, 1].map(() => {
      const l = new UsageLedger(counted, new TenantStores(factory))
      l.share()
      return l
    })
    await ledgers[0]!.open('t', 'db', quota())
    writes = 0
    const pushes = 40
    const results = await Promise.all(
      Array.from({ length: pushes }, (_, i) => ledgers[i % 2]!.append('t', 'db', entries(2), quota())),
    )
    expect(results.every((r) => r.added.length === 2)).toBe(true)
    expect(await ledgers[1]!.usage('t')).toMatchObject({ entries: 2 * pushes })
    expect(writes).toBeLessThan(1.5 * pushes) // two a push, one by one
  })
})
