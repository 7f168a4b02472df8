import { beforeAll, describe, expect, it } from 'vitest'
import { ready } from '../src/index.ts'
import { MemoryChangeStore, type EntryEnvelope } from '../src/backend.ts'
import { EntryFactory, envelope } from '../src/store/conformance/fixtures.ts'

beforeAll(ready)

/** The same claimed hash over other bytes: refused as a hash mismatch. */
function tampered(e: EntryEnvelope): EntryEnvelope {
  const bytes = e.bytes.slice()
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1
  return { hash: e.hash, bytes }
}

/** Bytes in the buffers behind `views`, each buffer counted once. */
function bufferBytes(views: readonly Uint8Array[]): number {
  return [...new Set(views.map((v) => v.buffer))].reduce((n, b) => n + b.byteLength, 0)
}

describe('the copies a store keeps', () => {
  it('share one buffer when the whole batch is stored', async () => {
    const store = new MemoryChangeStore()
    const pool = new EntryFactory().entries(4)
    let kept: readonly EntryEnvelope[] = []
    store.subscribe((_, entries) => (kept = entries ?? []))
    await store.appendMany(pool.map(envelope))
    expect(kept.map((e) => e.hash)).toEqual(pool.map((e) => e.hash))
    expect(new Set(kept.map((e) => e.bytes.buffer)).size).toBe(1)
    expect(bufferBytes(kept.map((e) => e.bytes))).toBe(pool.reduce((n, e) => n + e.bytes.length, 0))
  })

  it('keep no bytes of what the batch dropped: refused, repeated or already held', async () => {
    const store = new MemoryChangeStore()
    const pool = new EntryFactory().entries(4)
    await store.appendMany([envelope(pool[0]!)])
    let kept: readonly EntryEnvelope[] = []
    store.subscribe((_, entries) => (kept = entries ?? []))
    const r = await store.appendMany([
      envelope(pool[0]!), // held
      envelope(pool[1]!),
      tampered(pool[2]!), // refused
      envelope(pool[3]!),
      envelope(pool[1]!), // repeated
    ])
    expect(r.added).toEqual([pool[1]!.hash, pool[3]!.hash])
    expect(r.rejected.map((x) => x.hash)).toEqual([pool[2]!.hash])
    expect(kept.map((e) => e.hash)).toEqual(r.added)
    expect(bufferBytes(kept.map((e) => e.bytes))).toBe(pool[1]!.bytes.length + pool[3]!.bytes.length)
  })
})
