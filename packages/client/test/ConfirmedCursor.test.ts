import { beforeAll, describe, expect, it } from 'vitest'
import { MemoryChangeStore, MemoryKeyValueStore, ready } from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing'
import { ConfirmedCursor } from '../src/ConfirmedCursor.ts'

beforeAll(ready)

describe('ConfirmedCursor', () => {
  it('reports the local entries after the last confirmation, in arrival order', async () => {
    const f = new EntryFactory()
    const store = new MemoryChangeStore()
    const kv = new MemoryKeyValueStore()
    const cursor = new ConfirmedCursor(store, kv, 'k')
    await store.appendMany(f.entries(2).map(envelope))
    expect(await cursor.unconfirmed()).toEqual([]) // never confirmed: no telling
    await cursor.confirmAll(() => true)
    const later = f.entries(3)
    await store.appendMany(later.map(envelope))
    // Kept in the key-value store: a new instance (a restart) reads the same.
    expect(await new ConfirmedCursor(store, kv, 'k').unconfirmed()).toEqual(later.map((e) => e.hash))
    // A write that came in while confirming is not confirmed.
    await cursor.confirmAll(() => false)
    expect(await cursor.unconfirmed()).toHaveLength(3)
    await cursor.confirmAll(() => true)
    expect(await cursor.unconfirmed()).toEqual([])
  })

  it('folds calls made while one runs into one more, and confirms the newest head', async () => {
    const f = new EntryFactory()
    const store = new MemoryChangeStore()
    const cursor = new ConfirmedCursor(store, new MemoryKeyValueStore(), 'k')
    await cursor.confirmAll(() => true)
    const calls: Promise<void>[] = []
    for (const e of f.entries(5)) {
      await store.append(e)
      calls.push(cursor.confirmAll(() => true))
    }
    await Promise.all(calls)
    expect(await cursor.unconfirmed()).toEqual([])
  })

  it('reports nothing for a local store of another epoch', async () => {
    const f = new EntryFactory()
    const kv = new MemoryKeyValueStore()
    await new ConfirmedCursor(new MemoryChangeStore(), kv, 'k').confirmAll(() => true)
    const other = new MemoryChangeStore()
    await other.appendMany(f.entries(2).map(envelope))
    expect(await new ConfirmedCursor(other, kv, 'k').unconfirmed()).toEqual([])
  })
})
