import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as A from '@automerge/automerge'
import { asDocId, TenantFactory, TEST_KDF, type Database, type Tenant } from '@weft/core'
import { LevelStoreFactory } from '@weft/store-level'
import { createEntry, encodeChangePayload, openTenantRecord } from './internals.ts'
import { fmtMs, median, progress, timeMs, type Figure } from './report.ts'

const SIZES = [1_000, 10_000, 100_000]
const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'returned'] as const
const CUSTOMERS = 1_000
const PASSWORD = 'bench'
const TENANT = 'bench-query'
/** Documents held materialised: the default cache, so a scan of 100,000 materialises each one in turn. */
const CACHE = 1_000
const INDEX = { fields: ['customer'] } as const

interface SizeResult {
  readonly size: number
  readonly matched: number
  readonly scanMs: number
  readonly indexedMs: number
  readonly examined: number
  /** `createIndex` with no stored state: every document read. */
  readonly buildMs: number
  /** `createIndex` after a reopen, from the stored state. */
  readonly loadMs: number
  /** Documents materialised after the reopen and the load (0 when the state was current). */
  readonly loadMaterialised: number
  /** The indexed query after the reopen (its matches materialised from the store). */
  readonly indexedAfterLoadMs: number
}

/**
 * A query for one customer's orders (0.1% of the documents) over 1k, 10k and 100k documents in
 * LevelDB databases that open lazily (a 1,000-document cache): on an index of `customer` against a
 * scan of every document, in the same run; and the index's build from every document against its
 * load from the stored state after a reopen. The data is written once, straight into the stores,
 * in a temporary folder.
 */
export async function benchQuery(): Promise<Figure[]> {
  const path = await mkdtemp(join(tmpdir(), 'weft-bench-query-'))
  try {
    progress('query: writing 111,000 documents')
    await write(path)
    const results: SizeResult[] = []
    for (const size of SIZES) {
      results.push(await measureSize(path, size))
      progress(noteOf(results[results.length - 1]!))
    }
    const notes = results.map(noteOf)
    const large = results[results.length - 1]!
    const n = `${large.size / 1000}k`
    const queryRatio = large.indexedMs / large.scanMs
    const loadRatio = large.loadMs / large.buildMs
    return [
      {
        name: `query 0.1% of ${n} documents, index vs scan`,
        value: fmtMs(large.indexedMs),
        reference: `${fmtMs(large.scanMs)} scan`,
        ratio: queryRatio,
        target: '<= 0.05',
        met: queryRatio <= 0.05,
        notes,
      },
      {
        name: `index of ${n} documents: load from its stored state vs build`,
        value: fmtMs(large.loadMs),
        reference: `${fmtMs(large.buildMs)} build`,
        ratio: loadRatio,
        target: '<= 0.10, nothing materialised',
        met: loadRatio <= 0.1 && large.loadMaterialised === 0,
        notes: ['build: createIndex reading every document; load: createIndex after a reopen (state current)'],
      },
    ]
  } finally {
    await rm(path, { recursive: true, force: true })
  }
}

const dbName = (size: number) => `orders-${size}`

function noteOf(r: SizeResult): string {
  return `${r.size.toLocaleString('en-US')} documents, ${r.matched} match: scan ${fmtMs(r.scanMs)} (${((r.scanMs * 1000) / r.size).toFixed(0)} µs/document), index ${fmtMs(r.indexedMs)} (${r.examined} read); index build ${fmtMs(r.buildMs)}, load after reopen ${fmtMs(r.loadMs)} (${r.loadMaterialised} documents materialised), first indexed query after reopen ${fmtMs(r.indexedAfterLoadMs)}`
}

/** Writes every size's documents straight into its store, one `create` entry each, signed by the tenant. */
async function write(path: string): Promise<void> {
  const storeFactory = new LevelStoreFactory({ path })
  const factory = new TenantFactory({ storeFactory, kdf: TEST_KDF })
  const tenant = await factory.createTenant({ tenantId: TENANT, password: PASSWORD })
  const records = await storeFactory.openKeyValueStore('weft-tenants')
  const { record } = openTenantRecord((await records.get(`tenant/${TENANT}`))!, PASSWORD)
  const key = tenant.keyBag.current('default')
  // One Automerge payload per customer, reused: what is measured is per-document work, not content.
  const payloads = Array.from({ length: CUSTOMERS }, (_, c) =>
    encodeChangePayload(
      A.getAllChanges(A.from({ customer: `c${c}`, status: STATUSES[c % STATUSES.length]!, total: c % 997 })),
    ),
  )
  for (const size of SIZES) {
    const store = await storeFactory.openChangeStore(`${TENANT}/${dbName(size)}`)
    for (let i = 0; i < size; i += 1_000) {
      const batch = []
      for (let j = i; j < Math.min(size, i + 1_000); j++)
        batch.push(
          createEntry({
            kind: 'create',
            docId: asDocId(j.toString(16).padStart(32, '0')),
            origin: { tenant: tenant.id, db: dbName(size) as never },
            deps: [],
            keyId: 'default' as never,
            keyVersion: key.version,
            key: key.key,
            payload: payloads[j % CUSTOMERS]!,
            author: record.identity.signing,
          }),
        )
      await store.appendMany(batch)
    }
  }
  await factory.close()
}

async function session<T>(path: string, fn: (tenant: Tenant) => Promise<T>): Promise<T> {
  const factory = new TenantFactory({ storeFactory: new LevelStoreFactory({ path }), kdf: TEST_KDF })
  try {
    return await fn(await factory.openTenant(TENANT, { password: PASSWORD }))
  } finally {
    await factory.close()
  }
}

async function measureSize(path: string, size: number): Promise<SizeResult> {
  const label = `query ${size.toLocaleString('en-US')}`
  const runs = size >= 100_000 ? 1 : 3
  const where = { customer: 'c7' }
  const open = (tenant: Tenant): Promise<Database> => tenant.openDB(dbName(size), { cacheSize: CACHE })
  progress(`${label}: first open (builds the database index)`)
  const first = await session(path, async (tenant) => {
    const db = await open(tenant)
    progress(`${label}: scans`)
    const scanMs = median(await repeat(runs, () => db.query({ where })))
    progress(`${label}: index build`)
    const buildMs = await timeMs(async () => {
      const report = await db.createIndex('byCustomer', INDEX)
      if (report.opened !== 'rebuilt') throw new Error(`the index was ${report.opened}`)
    })
    const indexedMs = median(await repeat(5, () => db.query({ where })))
    const result = await db.query({ where })
    if (result.usedIndex !== 'byCustomer') throw new Error('the query did not use the index')
    return { scanMs, buildMs, indexedMs, matched: result.docs.length, examined: result.examined }
  })
  progress(`${label}: reopen and load the index`)
  const again = await session(path, async (tenant) => {
    const db = await open(tenant)
    let opened = ''
    const loadMs = await timeMs(async () => void ({ opened } = await db.createIndex('byCustomer', INDEX)))
    if (opened !== 'current') throw new Error(`the index was ${opened}`)
    const loadMaterialised = db.cacheStats().materialised
    const indexedAfterLoadMs = await timeMs(() => db.query({ where }))
    return { loadMs, loadMaterialised, indexedAfterLoadMs }
  })
  return { size, ...first, ...again }
}

async function repeat(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push(await timeMs(fn))
  return out
}
