import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  incrementalSync,
  MemoryStoreFactory,
  ready,
  syncStores,
  TenantFactory,
  TEST_KDF,
  type SyncProgress,
} from '../src/index.ts'
import { MemoryChangeStore } from '../src/backend.ts'
import { EntryFactory } from '../src/store/conformance/fixtures.ts'

const N = 10_000

async function storeWith(n: number): Promise<MemoryChangeStore> {
  const store = new MemoryChangeStore()
  await store.appendMany(new EntryFactory(50).chains(n))
  return store
}

function checkReports(reports: SyncProgress[], total: number): void {
  expect(reports.length).toBeGreaterThan(1)
  const last = reports[reports.length - 1]!
  expect(last.phase).toBe('done')
  expect(last.entries).toBe(total)
  expect(last.totalEntries).toBe(total)
  expect(reports.filter((r) => r.phase === 'done')).toHaveLength(1)
  for (let i = 1; i < reports.length; i++) {
    expect(reports[i]!.entries).toBeGreaterThanOrEqual(reports[i - 1]!.entries)
    expect(reports[i]!.bytes).toBeGreaterThanOrEqual(reports[i - 1]!.bytes)
  }
  for (const r of reports) if (r.totalEntries !== undefined) expect(r.entries).toBeLessThanOrEqual(r.totalEntries)
}

describe('sync progress', () => {
  /** One source for every 10,000-entry sync (they only read it): made once, in chains, so syncs verify only their tips. */
  let source: MemoryChangeStore
  /** A small one, where the size does not matter. */
  let small: MemoryChangeStore
  beforeAll(async () => {
    await ready()
    source = await storeWith(N)
    small = await storeWith(300)
  })

  it('a 10,000-entry syncStores reports monotonic progress and ends with the total', async () => {
    const reports: SyncProgress[] = []
    const result = await syncStores(source, new MemoryChangeStore(), {
      onProgress: (p) => reports.push(p),
      progressInterval: 0,
    })
    expect(result.added).toHaveLength(N)
    checkReports(reports, N)
    expect(reports[0]!.phase).toBe('reconcile')
    expect(reports.at(-1)!.bytes).toBe(result.bytes)
    expect(result.bytes).toBeGreaterThan(N * 32)
  })

  it('a 10,000-entry incrementalSync reports monotonic progress, and a second run reports nothing left', async () => {
    const target = new MemoryChangeStore()
    const reports: SyncProgress[] = []
    const state = await incrementalSync(source, target, undefined, {
      onProgress: (p) => reports.push(p),
      pageSize: 1_000,
    })
    checkReports(reports, N)
    const again: SyncProgress[] = []
    await incrementalSync(source, target, state, { onProgress: (p) => again.push(p) })
    expect(again.at(-1)).toMatchObject({ phase: 'done', entries: 0, totalEntries: 0 })
  })

  it("a database's 10,000-entry pullChangesFrom and pushChangesTo report monotonic progress and end with the total", async () => {
    const tenant = await new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF }).createTenant({
      tenantId: 'progress',
      password: 'pw',
    })
    const db = await tenant.openDB('notes')
    const pulled: SyncProgress[] = []
    await db.pullChangesFrom(source, { onProgress: (p) => pulled.push(p), progressInterval: 0 })
    checkReports(pulled, N)
    const pushed: SyncProgress[] = []
    const target = new MemoryChangeStore()
    await db.pushChangesTo(target, { onProgress: (p) => pushed.push(p), progressInterval: 0 })
    const total = (await db.getStore().getAllChangeHashes()).length // the pulled entries and the database's own
    expect(total).toBeGreaterThanOrEqual(N)
    checkReports(pushed, total)
    expect(await target.getAllChangeHashes()).toHaveLength(total)
  })

  it('throttles: with a long interval only the first copy report and the last are sent', async () => {
    const reports: SyncProgress[] = []
    await syncStores(small, new MemoryChangeStore(), { onProgress: (p) => reports.push(p), progressInterval: 60_000 })
    expect(reports.map((r) => r.phase)).toEqual(['reconcile', 'copy', 'done'])
  })

  it('whatever the batch sizes, progress is monotonic and ends at the total (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 400 }), async (pageSize) => {
        const reports: SyncProgress[] = []
        await incrementalSync(small, new MemoryChangeStore(), undefined, {
          pageSize,
          onProgress: (p) => reports.push(p),
          progressInterval: 0,
        })
        checkReports(reports, 300)
      }),
      { numRuns: 20 },
    )
  })
})
