import { MemoryStoreFactory, TenantFactory, TEST_KDF } from '@weft/core'
import { fmtMs, median, progress, timeMs, type Figure } from './report.ts'

// 100,000 is the size; it waits for databases that materialise on demand: with every
// document held as a live Automerge document, writing 100k of them in one process takes many
// minutes (Automerge's allocator and the garbage collector grow with what is held).
const SIZES = [1_000, 3_000, 10_000]
const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'returned'] as const
const RUNS = 5

/**
 * A query for one customer's orders (0.1% of the documents) over 1k, 3k and 10k documents: on an
 * index of `customer` against a scan of every document, in the same run. The per-document cost of
 * the scan stays flat as the database grows; the indexed query's cost follows the result, not the
 * database.
 */
export async function benchQuery(): Promise<Figure[]> {
  const figures: Figure[] = []
  const notes: string[] = []
  for (const size of SIZES) {
    progress(`query: ${size} documents`)
    const tenant = await new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF }).createTenant({
      tenantId: `bench-query-${size}`,
      password: 'bench',
    })
    const db = await tenant.openDB('orders')
    for (let i = 0; i < size; i++)
      await db.createDocument({
        data: { customer: `c${i % 1000}`, status: STATUSES[i % STATUSES.length]!, total: i % 997 },
      })
    const where = { customer: 'c7' }
    const scan = median(await runs(() => db.query({ where })))
    await db.createIndex('byCustomer', { fields: ['customer'] })
    const indexed = median(await runs(() => db.query({ where })))
    const result = await db.query({ where })
    notes.push(
      `${size} documents: ${result.docs.length} match; scan ${fmtMs(scan)} (${((scan * 1000) / size).toFixed(2)} µs/document), index ${fmtMs(indexed)} (${result.examined} read)`,
    )
    const ratio = indexed / scan
    if (size === SIZES[SIZES.length - 1])
      figures.push({
        name: `query 0.1% of ${size / 1000}k documents, index vs scan`,
        value: fmtMs(indexed),
        reference: `${fmtMs(scan)} scan`,
        ratio,
        target: '<= 0.05',
        met: ratio <= 0.05,
        notes,
      })
    await tenant.close()
  }
  return figures
}

async function runs(fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < RUNS; i++) out.push(await timeMs(fn))
  return out
}
