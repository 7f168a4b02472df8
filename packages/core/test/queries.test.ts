import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  ErrorCodes,
  MemoryStoreFactory,
  ready,
  TenantFactory,
  TEST_KDF,
  type Database,
  type Query,
} from '../src/index.ts'
import { compareValues } from '../src/db/query/compareValues.ts'
import { partners } from './helpers/partners.ts'

beforeAll(ready)

type Row = { status: string; total: number; title?: string }

async function dbWith(rows: readonly Row[]): Promise<Database> {
  const t = await new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF }).createTenant({
    tenantId: `q-${Math.random().toString(36).slice(2)}`,
    password: 'pw',
  })
  const db = await t.openDB('orders')
  for (const r of rows) await db.createDocument({ data: r })
  return db
}

/** The answer by brute force: every document, filtered and sorted in plain code. */
async function model(db: Database, q: Query): Promise<string[]> {
  const rows: { id: string; data: Record<string, unknown> }[] = []
  for (const id of await db.getAllDocumentIds()) rows.push({ id, data: (await db.getDocument(id))!.getData() })
  const where = Object.entries(q.where ?? {})
  const ok = (v: unknown, c: unknown): boolean => {
    if (typeof c !== 'object' || c === null) return v === c
    const b = c as Record<string, unknown>
    const same = (x: unknown) => typeof x === typeof v
    return (
      (b.gt === undefined || (same(b.gt) && (v as number) > (b.gt as number))) &&
      (b.gte === undefined || (same(b.gte) && (v as number) >= (b.gte as number))) &&
      (b.lt === undefined || (same(b.lt) && (v as number) < (b.lt as number))) &&
      (b.lte === undefined || (same(b.lte) && (v as number) <= (b.lte as number))) &&
      (b.in === undefined || (b.in as unknown[]).includes(v))
    )
  }
  const field = typeof q.orderBy === 'string' ? q.orderBy : q.orderBy?.field
  const sign = typeof q.orderBy === 'object' && q.orderBy.direction === 'desc' ? -1 : 1
  return rows
    .filter((r) => where.every(([f, c]) => ok(r.data[f], c)))
    .sort(
      (a, b) =>
        sign * compareValues((field ? a.data[field] : null) as never, (field ? b.data[field] : null) as never) ||
        sign * (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    )
    .map((r) => r.id)
}

/** Every page of a query, following cursors. */
async function allPages(db: Database, q: Query): Promise<string[]> {
  const ids: string[] = []
  let cursor: string | undefined
  for (let i = 0; i < 1_000; i++) {
    const page = await db.query({ ...q, ...(cursor ? { cursor } : {}) })
    ids.push(...page.docs.map((d) => d.id))
    cursor = page.cursor
    if (!cursor) return ids
  }
  throw new Error('cursor never ended')
}

const STATUSES = ['open', 'closed', 'pending']

describe('indexes and queries', () => {
  it('an index answers an equality query reading only the matching documents', async () => {
    const db = await dbWith(Array.from({ length: 300 }, (_, i) => ({ status: STATUSES[i % 3]!, total: i })))
    const scan = await db.query({ where: { status: 'open' } })
    expect(scan.usedIndex).toBeUndefined()
    expect(scan.examined).toBe(300)
    await db.createIndex('byStatus', { fields: ['status'] })
    const indexed = await db.query({ where: { status: 'open' } })
    expect(indexed.usedIndex).toBe('byStatus')
    expect(indexed.examined).toBe(100)
    expect(indexed.docs.map((d) => d.id)).toEqual(scan.docs.map((d) => d.id))
    expect(indexed.docs.every((d) => d.data.status === 'open')).toBe(true)
  })

  it('with or without indexes, results equal a brute-force model, and pages concatenate to the whole (property)', async () => {
    const rowArb = fc.record({ status: fc.constantFrom(...STATUSES), total: fc.integer({ min: -5, max: 5 }) })
    const condArb = fc.oneof(
      fc.constantFrom(...STATUSES).map((s) => ({ status: s })),
      fc.integer({ min: -6, max: 6 }).map((n) => ({ total: { gte: n } })),
      fc.integer({ min: -6, max: 6 }).map((n) => ({ total: { lt: n } })),
      fc
        .tuple(fc.integer({ min: -6, max: 0 }), fc.integer({ min: 0, max: 6 }))
        .map(([a, b]) => ({ total: { gt: a, lte: b } })),
      fc.subarray(STATUSES, { minLength: 1 }).map((s) => ({ status: { in: s } })),
      fc.constant({}),
    )
    const orderArb = fc.option(
      fc.record({
        field: fc.constantFrom('status', 'total'),
        direction: fc.constantFrom('asc' as const, 'desc' as const),
      }),
      { nil: undefined },
    )
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArb, { maxLength: 25 }),
        condArb,
        orderArb,
        fc.integer({ min: 1, max: 7 }),
        fc.boolean(),
        async (rows, where, orderBy, limit, indexed) => {
          const db = await dbWith(rows)
          if (indexed) {
            await db.createIndex('byTotal', { fields: ['total', 'status'] })
            await db.createIndex('byStatus', { fields: ['status'] })
          }
          const q: Query = { where, ...(orderBy ? { orderBy } : {}) }
          const expected = await model(db, q)
          expect((await db.query(q)).docs.map((d) => d.id)).toEqual(expected)
          expect(await allPages(db, { ...q, limit })).toEqual(expected)
        },
      ),
      { numRuns: 40 },
    )
  })

  it('stays current through writes, changes, deletes and documents received by sync', async () => {
    const { dbs } = await partners(['acme', 'globex'], 'orders', 'orders-key')
    const [mine, theirs] = [dbs[0]!, dbs[1]!]
    await mine.createIndex('byStatus', { fields: ['status'] })
    const a = await mine.createDocument({ data: { status: 'open' } })
    const ids = async () => (await mine.query({ where: { status: 'open' } })).docs.map((d) => d.id)
    expect(await ids()).toEqual([a.getId()])
    await mine.changeDoc(a, (d) => void (d.getData().status = 'closed'))
    expect(await ids()).toEqual([])
    const b = await theirs.createDocument({ data: { status: 'open' } })
    await mine.pullChangesFrom(theirs)
    expect(await ids()).toEqual([b.getId()])
    await mine.deleteDocument(b.getId())
    expect(await ids()).toEqual([])
  })

  it('a map index keys documents by a computed value', async () => {
    const db = await dbWith([
      { status: 'open', total: 5, title: 'Oak Table' },
      { status: 'open', total: 7, title: 'oak chair' },
      { status: 'open', total: 9, title: 'Pine shelf' },
    ])
    await db.createIndex('byWood', { map: (d) => String(d.title).split(' ')[0]!.toLowerCase() })
    const r = await db.query({ index: 'byWood', where: { key: 'oak' } })
    expect(r.usedIndex).toBe('byWood')
    expect(r.docs.map((d) => d.data.title).sort()).toEqual(['Oak Table', 'oak chair'])
  })

  it('live queries emit the first result and every changed one, and stop when asked', async () => {
    const db = await dbWith([{ status: 'open', total: 1 }])
    const seen: number[] = []
    const stop = db.liveQuery({ where: { status: 'open' } }, (r) => seen.push(r.docs.length))
    await expect.poll(() => seen).toEqual([1])
    const doc = await db.createDocument({ data: { status: 'open', total: 2 } })
    await expect.poll(() => seen).toEqual([1, 2])
    await db.createDocument({ data: { status: 'closed', total: 3 } }) // does not change the result
    await db.changeDoc(doc, (d) => void (d.getData().status = 'closed'))
    await expect.poll(() => seen).toEqual([1, 2, 1])
    stop()
    await db.createDocument({ data: { status: 'open', total: 4 } })
    await new Promise((r) => setTimeout(r, 50))
    expect(seen).toEqual([1, 2, 1])
  })

  it('bad queries fail with WEFT_INVALID_ARGUMENT and change nothing', async () => {
    const db = await dbWith([{ status: 'open', total: 1 }])
    for (const q of [
      { where: { total: { near: 3 } } },
      { where: { total: { gt: [1] } } },
      { cursor: 'not a cursor' },
      { limit: -1 },
      { index: 'missing' },
      { orderBy: { field: 'total', direction: 'up' } },
    ])
      await expect(db.query(q as Query)).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT })
    await expect(db.createIndex('bad', { fields: [] })).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT })
    expect((await db.query()).docs).toHaveLength(1)
  })
})

describe('full-text search', () => {
  it('finds documents by words of chosen fields, follows changes, ranks better matches first', async () => {
    const db = await dbWith([
      { status: 'open', total: 1, title: 'oak dining table' },
      { status: 'open', total: 2, title: 'walnut bookcase' },
    ])
    await db.createSearchIndex({ fields: ['title'] })
    const oak = await db.search('oak')
    expect(oak).toHaveLength(1)
    expect(oak[0]!.match).toHaveProperty('oak')
    expect((await db.search('bookcas')).length).toBe(1) // prefix
    expect((await db.search('walnutt')).length).toBe(1) // fuzzy
    const c = await db.createDocument({ data: { status: 'open', total: 3, title: 'oak oak bench, oak' } })
    expect((await db.search('oak'))[0]!.id).toBe(c.getId())
    await db.changeDoc(c, (d) => void (d.getData().title = 'pine bench'))
    expect((await db.search('oak')).map((h) => h.id)).not.toContain(c.getId())
  })

  it('search before a search index is a typed error', async () => {
    const db = await dbWith([])
    await expect(db.search('x')).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT })
  })
})
