// Child process of test/largeAttachment.test.ts: writes an attachment of WEFT_MB MiB from a stream
// into a LevelDB-backed database, reads it back by stream, and prints one JSON line: sizes, times,
// whether the bytes read equal the bytes written (by SHA-256), and the peak growth of heap and anonymous RSS
// over the baseline while each step ran. Run with --expose-gc.

import { createHash, randomFillSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ready, TenantFactory, TEST_KDF } from '@weft/core'
import { LevelStoreFactory } from '@weft/store-level'

const MB = 1024 * 1024
const total = Number(process.env.WEFT_MB ?? '100') * MB
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined)

let peakHeap = 0
let peakRss = 0
/**
 * Anonymous resident memory (Linux `RssAnon`): the process's own allocations. Plain RSS also
 * counts the pages of LevelDB's table files it maps to read them, which the kernel may drop.
 */
function rssAnon(): number {
  try {
    const kb = /RssAnon:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))
    if (kb) return Number(kb[1]) * 1024
  } catch {
    // not Linux: fall back to the whole RSS
  }
  return process.memoryUsage().rss
}

let samples = 0
/**
 * Samples memory every 8th call (8 MiB), after two full GCs: the peak is what the pipeline holds,
 * not garbage the collector has not come to yet (that depends on the engine's heuristics, not on
 * Weft). One was not enough: in the first 8 to 24 MiB of a write, one collection left up to 33 MiB
 * of array buffers that a second one freed, so single samples read up to 41 MiB where the pipeline
 * held about 5.
 */
function sample(): void {
  if (++samples % 8 !== 0) return
  gc()
  gc()
  const m = process.memoryUsage()
  peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers)
  peakRss = Math.max(peakRss, rssAnon())
}

async function main(): Promise<void> {
  await ready()
  const dir = await mkdtemp(join(tmpdir(), 'weft-large-'))
  try {
    const factory = new TenantFactory({ storeFactory: new LevelStoreFactory({ path: dir }), kdf: TEST_KDF })
    const tenant = await factory.createTenant({ tenantId: 'large', password: 'pw' })
    const db = await tenant.openDB('files')
    const doc = await db.createDocument({ data: { title: 'large' } })
    gc()
    const base = process.memoryUsage()
    const baseHeap = base.heapUsed + base.arrayBuffers
    const baseRss = rssAnon()
    peakHeap = baseHeap
    peakRss = baseRss

    const written = createHash('sha256')
    async function* source(): AsyncGenerator<Uint8Array> {
      const piece = new Uint8Array(MB)
      for (let sent = 0; sent < total; sent += MB) {
        randomFillSync(piece)
        written.update(piece)
        sample()
        yield piece // reused: the writer must copy what it keeps
      }
    }
    let t = performance.now()
    const upload = await db.writeAttachment(doc, source(), { type: 'application/octet-stream' })
    await db.changeDoc(doc, (d) => d.addAttachment('large.bin', upload))
    const writeMs = performance.now() - t
    const writePeakHeap = peakHeap - baseHeap
    const writePeakRss = peakRss - baseRss

    gc()
    const mid = process.memoryUsage()
    const midHeap = mid.heapUsed + mid.arrayBuffers
    const midRss = rssAnon()
    peakHeap = midHeap
    peakRss = midRss
    const read = createHash('sha256')
    let size = 0
    t = performance.now()
    const handle = (await db.getDocument(doc.getId()))!
    for await (const piece of handle.streamAttachment('large.bin')) {
      read.update(piece)
      size += piece.length
      sample()
    }
    const readMs = performance.now() - t
    console.log(
      JSON.stringify({
        size,
        chunks: upload.record.chunks.length,
        equal: read.digest('hex') === written.digest('hex'),
        writeMs: Math.round(writeMs),
        readMs: Math.round(readMs),
        writePeakHeap,
        writePeakRss,
        readPeakHeap: peakHeap - midHeap,
        readPeakRss: peakRss - midRss,
      }),
    )
    await tenant.close()
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
