// A 100 MiB attachment written from a stream into LevelDB and read back by stream, in a child
// process of its own so its memory is measured alone (see helpers/largeAttachment.ts).

import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { runChildJson } from './helpers/runChild.ts'

const script = fileURLToPath(new URL('./helpers/largeAttachment.ts', import.meta.url))
const MB = 1024 * 1024

interface Measured {
  size: number
  chunks: number
  equal: boolean
  writeMs: number
  readMs: number
  writePeakHeap: number
  writePeakRss: number
  readPeakHeap: number
  readPeakRss: number
}

function run(mb: number): Promise<Measured> {
  return runChildJson<Measured>(script, { WEFT_MB: String(mb) })
}

describe('a 100 MiB attachment', () => {
  it('is written and read back by stream with memory bounded far below its size', async () => {
    const m = await run(100)
    expect(m.size).toBe(100 * MB)
    expect(m.equal).toBe(true)
    // About 1,600 chunks at the default 64 KiB average.
    expect(m.chunks).toBeGreaterThan(800)
    expect(m.chunks).toBeLessThan(3_200)
    // What the pipeline holds (after two full GCs: see the helper) stays well under the file: about
    // 5 MiB while writing, a batch of chunks and its entries. The process's own resident memory (not
    // counting LevelDB's mapped table files) grows by the engine's and LevelDB's working sets, never
    // by the size of the file.
    expect(m.writePeakHeap).toBeLessThan(16 * MB)
    expect(m.readPeakHeap).toBeLessThan(16 * MB)
    expect(m.writePeakRss).toBeLessThan(80 * MB)
    expect(m.readPeakRss).toBeLessThan(32 * MB)
  }, 240_000)
})
