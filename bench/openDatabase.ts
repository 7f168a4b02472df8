import { fork } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as A from '@automerge/automerge'
import { asDocId, ready, TenantFactory, TEST_KDF, type DocId } from '@weft/core'
import { LevelStoreFactory } from '@weft/store-level'
import { createEntry, encodeChangePayload, openTenantRecord } from './internals.ts'
import { fmtMs, fmtRatio, measure, median, progress, timeMs, type Figure, type Timing } from './report.ts'

const LARGE = 100_000
/** Eager materialisation is measured here and extrapolated to LARGE (at 100k it takes minutes and GBs on 2 cores). */
const EAGER = 10_000
const CACHE = 1_000
const READS = 5_000
const PASSWORD = 'bench'
const CHILD_FLAG = '--bench-open-child'
const OPEN_TARGET = 50
/** Resident memory after READS reads may exceed that after CACHE reads by at most this factor. */
const MEMORY_LIMIT = 1.25

interface OpenResult {
  readonly size: number
  /** Open from the index and read one document. */
  readonly lazyMs: number
  /** Open from the index alone (its header). */
  readonly openMs: number
  /** The cache's estimate of the bytes of its materialised documents, after READS reads. */
  readonly cacheBytes: number
  /** First open of the same store without an index: every document materialised once, CACHE at a time. */
  readonly rebuildMs: number
  /** Open with the index erased and a cache of every document: what the eager open did. */
  readonly eagerMs: number
  /** Resident memory (MB): before open, after open, after CACHE reads, after READS reads. */
  readonly rss: readonly [number, number, number, number]
  readonly materialised: number
  /** Median µs of one read of a document not materialised yet, and of one write to it. */
  readonly readUs: number
  readonly writeUs: number
  /** The whole of those samples: wall clock and process CPU (all threads). */
  readonly sampled: Timing
}

const SMALL = 1_000
const SAMPLES = 20
/**
 * Reads and writes before the samples, so they measure the steady state, not the first calls after
 * open. V8 compiles Automerge's WebAssembly with its optimising tier, in the background, only as
 * its functions get hot: after 20, the samples often ran on the baseline code while the compiler
 * took the other core (4 to 8 ms per write, against about 1 with the module compiled up front).
 */
const WARM_UP = 200
/** Opens timed per size, each in a fresh factory. */
const OPENS = 5
/** A per-operation cost at 100k above this multiple of the cost at 1k is a growth step. */
const GROWTH_LIMIT = 2

/**
 * The `open` group: opening a 100,000-document LevelDB database from its persisted index and reading
 * one document, beside materialising every document of the same store in the same run (the first
 * open without an index, measured at 100,000) and eager materialisation (measured at 10,000
 * documents and extrapolated linearly, which flatters eager: its per-document cost rises with the
 * documents it holds); open alone at 1,000, 10,000 and 100,000 documents; and the resident memory of the open database with a 1,000-document cache while it reads
 * 5,000 documents. Each size runs in its own process, so memory figures are its own.
 */
export async function benchOpen(): Promise<Figure[]> {
  const small = await inChild(SMALL)
  const eager = await inChild(EAGER)
  const large = await inChild(LARGE)
  const sizes = [small, eager, large]
  const growth = (row: string, pick: (r: OpenResult) => number, fmt: (v: number) => string, what: string): Figure => {
    const ratio = pick(large) / pick(small)
    return {
      name: `growth: ${row}`,
      value: `${fmt(pick(large))} at ${LARGE.toLocaleString('en-US')}`,
      reference: `${fmt(pick(small))} at ${SMALL.toLocaleString('en-US')}`,
      ratio,
      target: `<= ${GROWTH_LIMIT.toFixed(2)}`,
      met: ratio <= GROWTH_LIMIT,
      notes: [what, sizes.map((r) => `${r.size.toLocaleString('en-US')} documents: ${fmt(pick(r))}`).join(', ')],
    }
  }
  const extrapolated = eager.eagerMs * (LARGE / EAGER)
  const ratio = extrapolated / large.lazyMs
  const [before, opened, cached, read] = large.rss
  const memGrowth = (read - before) / Math.max(1, cached - before)
  const us = (v: number) => (v >= 1000 ? fmtMs(v / 1000) : `${v.toFixed(0)} µs`)
  const measuredRatio = large.rebuildMs / large.lazyMs
  return [
    growth(
      'database open',
      (r) => r.openMs,
      fmtMs,
      `openDB from the index (it reads the index header only), median of ${OPENS} opens`,
    ),
    growth(
      'database open + one read',
      (r) => r.lazyMs,
      fmtMs,
      `openDB from the index and getDocument of one document, median of ${OPENS}`,
    ),
    growth(
      'one document read',
      (r) => r.readUs,
      us,
      `getDocument of a document not materialised yet, median of ${SAMPLES} after ${WARM_UP} reads and writes`,
    ),
    growth(
      'one write',
      (r) => r.writeUs,
      us,
      `changeDoc of that document, median of ${SAMPLES}; the ${SAMPLES} reads and writes took ${sizes.map((r) => `${fmtMs(r.sampled.ms)} (process CPU, all threads: ${fmtMs(r.sampled.cpuMs)})`).join(', ')}`,
    ),
    {
      name: `open a ${LARGE.toLocaleString('en-US')}-document LevelDB database and read one document`,
      value: fmtMs(large.lazyMs),
      reference: `${fmtMs(large.rebuildMs)} materialising every document (measured)`,
      ratio: measuredRatio,
      target: `>= ${OPEN_TARGET}x faster`,
      met: measuredRatio >= OPEN_TARGET,
      notes: [
        `reference measured at ${LARGE.toLocaleString('en-US')} in this run: the first open of the store without an index, which materialises every document once, ${CACHE.toLocaleString('en-US')} at a time (eager open minus holding them all)`,
        `eager open (every document materialised and held) measured at ${EAGER.toLocaleString('en-US')} documents: ${fmtMs(eager.eagerMs)}; times ${LARGE / EAGER} for ${LARGE.toLocaleString('en-US')}: ${fmtMs(extrapolated)}, ${fmtRatio(ratio)} the lazy open`,
        `lazy open + one read at ${EAGER.toLocaleString('en-US')} documents: ${fmtMs(eager.lazyMs)} (${fmtRatio(eager.eagerMs / eager.lazyMs)} faster than eager there)`,
      ],
    },
    {
      name: `resident memory of an open ${LARGE.toLocaleString('en-US')}-document database, ${CACHE.toLocaleString('en-US')}-document cache`,
      value: `${read.toFixed(0)} MB after ${READS.toLocaleString('en-US')} reads`,
      reference: `${cached.toFixed(0)} MB after ${CACHE.toLocaleString('en-US')} reads`,
      ratio: memGrowth,
      target: `growth <= ${MEMORY_LIMIT.toFixed(2)}x once the cache is full`,
      met: memGrowth <= MEMORY_LIMIT,
      notes: [
        `process RSS before open ${before.toFixed(0)} MB, after open and one read ${opened.toFixed(0)} MB (the index header only), after ${CACHE.toLocaleString('en-US')} reads ${cached.toFixed(0)} MB, after ${READS.toLocaleString('en-US')} reads ${read.toFixed(0)} MB; ${large.materialised} documents materialised at the end, estimated by the cache at ${(large.cacheBytes / 1e6).toFixed(2)} MB of changes`,
        `ratio: growth over the before-open RSS from ${CACHE.toLocaleString('en-US')} to ${READS.toLocaleString('en-US')} reads (1.00 = flat)`,
      ],
    },
  ]
}

/**
 * Builds a database of `size` documents in one process (writing it and its first open, which
 * builds the index) and measures it in another, so the measuring process's memory is its own.
 */
async function inChild(size: number): Promise<OpenResult> {
  const path = await mkdtemp(join(tmpdir(), 'weft-bench-open-'))
  try {
    const built = await child<{ rebuildMs: number }>(size, path, 'build')
    const measured = await child<OpenResult>(size, path, 'measure')
    return { ...measured, rebuildMs: built.rebuildMs }
  } finally {
    await rm(path, { recursive: true, force: true })
  }
}

function child<T>(size: number, path: string, phase: 'build' | 'measure'): Promise<T> {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), [CHILD_FLAG, String(size), path, phase], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [...process.execArgv, '--expose-gc'],
    })
    let result: T | undefined
    proc.on('message', (m) => (result = m as T))
    proc.on('error', reject)
    proc.on('exit', (code) =>
      result && code === 0 ? resolve(result) : reject(new Error(`open ${phase} child for ${size} exited with ${code}`)),
    )
  })
}

const docIdOf = (j: number): DocId => asDocId(j.toString(16).padStart(32, '0'))

/** Resident memory after a collection, once finalisers (which free Automerge documents no handle reaches) have run. */
async function rssMb(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc
  for (let i = 0; i < 2; i++) {
    gc?.()
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return process.memoryUsage().rss / 1e6
}

/** Writes `size` one-entry documents straight into the store, signed by the tenant's own key. */
async function build(path: string, size: number): Promise<void> {
  const storeFactory = new LevelStoreFactory({ path })
  const factory = new TenantFactory({ storeFactory, kdf: TEST_KDF })
  const tenant = await factory.createTenant({ tenantId: 'bench-open', password: PASSWORD })
  const records = await storeFactory.openKeyValueStore('weft-tenants')
  const { record } = openTenantRecord((await records.get('tenant/bench-open'))!, PASSWORD)
  const key = tenant.keyBag.current('default')
  const store = await storeFactory.openChangeStore('bench-open/docs')
  // A hundred distinct Automerge documents, reused: what is measured is per-document work, not content.
  const payloads = Array.from({ length: 100 }, (_, i) =>
    encodeChangePayload(A.getAllChanges(A.from({ n: i, status: 'new', title: `document ${i}` }))),
  )
  for (let i = 0; i < size; i += 1_000) {
    const batch = []
    for (let j = i; j < Math.min(size, i + 1_000); j++) {
      const docId = docIdOf(j)
      batch.push(
        createEntry({
          kind: 'create',
          docId,
          origin: { tenant: tenant.id, db: 'docs' as never },
          deps: [],
          keyId: 'default' as never,
          keyVersion: key.version,
          key: key.key,
          payload: payloads[j % payloads.length]!,
          author: record.identity.signing,
        }),
      )
    }
    await store.appendMany(batch)
  }
  await factory.close()
}

async function childMain(size: number, path: string, phase: string): Promise<void> {
  await ready()
  const session = async <T>(fn: (f: TenantFactory, sf: LevelStoreFactory) => Promise<T>): Promise<T> => {
    const sf = new LevelStoreFactory({ path })
    const f = new TenantFactory({ storeFactory: sf, kdf: TEST_KDF })
    try {
      return await fn(f, sf)
    } finally {
      await f.close()
    }
  }
  if (phase === 'build') {
    progress(`open ${size.toLocaleString('en-US')}: writing documents`)
    await build(path, size)
    progress(`open ${size.toLocaleString('en-US')}: first open (builds the index)`)
    const rebuildMs = await session(async (f) => {
      const tenant = await f.openTenant('bench-open', { password: PASSWORD })
      const ms = await timeMs(() => tenant.openDB('docs', { cacheSize: CACHE }))
      await tenant.close()
      return ms
    })
    process.send!({ rebuildMs }, () => process.exit(0))
    return
  }
  const ids = Array.from({ length: size }, (_, j) => docIdOf(j))
  // Opens, each in a fresh factory over the same files: the median of OPENS, each reading another document.
  const openRuns: number[] = []
  const lazyRuns: number[] = []
  for (let run = 0; run < OPENS; run++) {
    await session(async (f) => {
      const tenant = await f.openTenant('bench-open', { password: PASSWORD })
      const start = performance.now()
      const db = await tenant.openDB('docs', { cacheSize: CACHE })
      openRuns.push(performance.now() - start)
      if (!(await db.getDocument(ids[(run * 7919 + (ids.length >> 1)) % ids.length]!)))
        throw new Error('document not found')
      lazyRuns.push(performance.now() - start)
      if (db.cacheStats().opened !== 'current') throw new Error(`the index was ${db.cacheStats().opened}`)
      await tenant.close()
    })
  }
  const before = await rssMb()
  let opened = 0
  let cached = 0
  let read = 0
  let materialised = 0
  let cacheBytes = 0
  const readSamples: number[] = []
  const writeSamples: number[] = []
  let sampled: Timing = { ms: 0, cpuMs: 0, gcMs: 0 }
  await session(async (f) => {
    const tenant = await f.openTenant('bench-open', { password: PASSWORD })
    const db = await tenant.openDB('docs', { cacheSize: CACHE })
    if (!(await db.getDocument(ids[ids.length >> 1]!))) throw new Error('document not found')
    opened = await rssMb()
    // Warmed up on documents from the start of the list, then sampled from its far end: none of
    // those is materialised yet.
    for (let i = 0; i < WARM_UP; i++) {
      await db.getDocument(ids[i]!)
      await db.changeDoc(ids[i]!, (d) => void (d.getData().status = `warm${i}`))
    }
    sampled = await measure(async () => {
      for (let i = 0; i < SAMPLES; i++) {
        const id = ids[ids.length - 1 - i]!
        readSamples.push((await timeMs(() => db.getDocument(id))) * 1000)
        writeSamples.push((await timeMs(() => db.changeDoc(id, (d) => void (d.getData().status = `w${i}`)))) * 1000)
      }
    })
    for (let i = 0; i < Math.min(READS, size); i++) {
      await db.getDocument(ids[(i * 7919) % ids.length]!)
      if (i === CACHE - 1) cached = await rssMb()
    }
    read = await rssMb()
    materialised = db.cacheStats().materialised
    cacheBytes = db.cacheStats().bytes
    await tenant.close()
  })
  let eagerMs = 0
  if (size === EAGER) {
    progress(`open ${size.toLocaleString('en-US')}: eager open`)
    eagerMs = await session(async (f, sf) => {
      const kv = await sf.openKeyValueStore('weft-db-index')
      for (const k of await kv.keys('bench-open/')) await kv.delete(k)
      const tenant = await f.openTenant('bench-open', { password: PASSWORD })
      const ms = await timeMs(async () => {
        const db = await tenant.openDB('docs', { cacheSize: size })
        if (db.cacheStats().materialised !== size) throw new Error('eager open held fewer documents')
        await db.getDocument(ids[ids.length >> 1]!)
      })
      await tenant.close()
      return ms
    })
  }
  const result: OpenResult = {
    size,
    lazyMs: median(lazyRuns),
    openMs: median(openRuns),
    cacheBytes,
    rebuildMs: 0,
    eagerMs,
    rss: [before, opened, cached, read],
    materialised,
    readUs: median(readSamples),
    writeUs: median(writeSamples),
    sampled,
  }
  process.send!(result, () => process.exit(0))
}

// Entry point of a child started by inChild.
if (process.argv[2] === CHILD_FLAG) {
  childMain(Number(process.argv[3]), process.argv[4]!, process.argv[5]!).catch((err: unknown) => {
    console.error(err)
    process.exit(1)
  })
}
