import { beforeAll, describe, expect, it } from 'vitest'
import { asDbName, asDocId, asTenantId, ready } from '../src/index.ts'
import { MemoryKeyValueStore } from '../src/backend.ts'
import { DocDirectory } from '../src/db/DocDirectory.ts'
import { DocIndex } from '../src/db/DocIndex.ts'
import { DocState } from '../src/db/DocState.ts'

beforeAll(ready)

const CACHE = { documents: 200, bytes: Infinity }

/**
 * Materialises `n` stored documents one after another through a directory with a persisted index
 * and a 200-document cache, as a scan does, with every handle kept (so every evicted document
 * leaves a ghost the collector cannot take). Counts the states the sweeps read.
 */
function scan(n: number): { stateReads: number; ghostReads: number } {
  const dir = new DocDirectory()
  dir.attach(
    new DocIndex(
      { kv: new MemoryKeyValueStore(), prefix: 'acme/notes/dev/', key: new Uint8Array(32).fill(7) },
      { tenant: asTenantId('acme'), db: asDbName('notes') },
    ),
  )
  const held: DocState[] = []
  let stateReads = 0
  let ghostReads = 0
  const deref = WeakRef.prototype.deref // counted, not recorded: the old sweeps made n² / 2 calls
  WeakRef.prototype.deref = function (this: WeakRef<object>) {
    ghostReads++
    return deref.call(this)
  }
  try {
    for (let i = 0; i < n; i++) {
      const state = new DocState(asDocId(i.toString(16).padStart(32, '0')))
      state.hasPredecessor = true // a handle's chain leads here: dropped, it becomes a ghost
      held.push(state)
      dir.set(state, true)
      dir.trim(CACHE, () => {
        stateReads++
        return false
      })
    }
  } finally {
    WeakRef.prototype.deref = deref
  }
  expect(held).toHaveLength(n)
  expect(dir.stats().materialised).toBe(CACHE.documents)
  return { stateReads, ghostReads }
}

describe('the sweeps of a database directory', () => {
  it('read a constant amortised number of states per document materialised, however many there are', () => {
    const small = scan(2_000)
    const large = scan(8_000)
    // Reading everything in memory at every trim reads about 200 per document (the cache), and
    // every ghost so far (n / 2 per document on average).
    for (const [n, r] of [
      [2_000, small],
      [8_000, large],
    ] as const) {
      expect(r.stateReads).toBeLessThanOrEqual(3 * n)
      expect(r.ghostReads).toBeLessThanOrEqual(3 * n)
    }
    expect(large.ghostReads).toBeGreaterThan(0)
  })

  it('still drops stored summaries in time: what waits for a sweep stays within as much again as a sweep left', () => {
    const dir = new DocDirectory()
    dir.attach(
      new DocIndex(
        { kv: new MemoryKeyValueStore(), prefix: 'acme/notes/dev/', key: new Uint8Array(32).fill(7) },
        { tenant: asTenantId('acme'), db: asDbName('notes') },
      ),
    )
    for (let i = 0; i < 5_000; i++) {
      dir.set(new DocState(asDocId(i.toString(16).padStart(32, '0'))), true)
      dir.trim(CACHE, () => false)
      // What waits for a sweep is at most as much again as what it left, plus a small slack.
      expect([...dir.inMemory()].length).toBeLessThanOrEqual(2 * (CACHE.documents + 1) + 64)
    }
  })
})
