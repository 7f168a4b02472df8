import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  addToCounter,
  exclusively,
  MemoryKeyValueStore,
  takeRecord,
  takeToken,
  takeTokens,
  updateRecord,
} from '../src/backend.ts'

describe('the in-process stand-ins of the shared record steps', () => {
  it('take gives a record to one taker only', async () => {
    const kv = new MemoryKeyValueStore()
    await kv.put('k', new Uint8Array([1]))
    const got = await Promise.all([1, 2, 3].map(() => takeRecord(kv, 'k')))
    expect(got.filter(Boolean)).toHaveLength(1)
  })

  it('counters add up under concurrency and start at 0', async () => {
    const kv = new MemoryKeyValueStore()
    expect(await addToCounter(kv, 'c', 0)).toBe(0)
    await Promise.all(Array.from({ length: 10 }, () => addToCounter(kv, 'c', 2)))
    expect(await addToCounter(kv, 'c', 0)).toBe(20)
  })

  it('exclusive sections of one name on one store run one at a time; other names and stores do not wait', async () => {
    const kv = new MemoryKeyValueStore()
    const order: string[] = []
    const slow = exclusively(kv, 'a', async () => {
      await new Promise((r) => setTimeout(r, 10))
      order.push('a1')
    })
    const other = exclusively(kv, 'b', async () => void order.push('b'))
    const elsewhere = exclusively(new MemoryKeyValueStore(), 'a', async () => void order.push('a-elsewhere'))
    const queued = exclusively(kv, 'a', async () => void order.push('a2'))
    await Promise.all([slow, other, elsewhere, queued])
    expect(order).toEqual(['b', 'a-elsewhere', 'a1', 'a2'])
  })

  it('updates of one record under one lock lose nothing; one told to write nothing or that fails writes nothing', async () => {
    const kv = new MemoryKeyValueStore()
    const add = (by: number) =>
      updateRecord(kv, 'lock', 'n', async (v) => {
        await new Promise((r) => setTimeout(r, 1))
        return new Uint8Array([(v?.[0] ?? 0) + by])
      })
    await Promise.all([1, 2, 3, 4].map(add))
    expect(await kv.get('n')).toEqual(new Uint8Array([10]))
    await updateRecord(kv, 'lock', 'n', async () => undefined)
    await expect(
      updateRecord(kv, 'lock', 'n', async () => {
        throw new Error('inside')
      }),
    ).rejects.toThrow('inside')
    expect(await kv.get('n')).toEqual(new Uint8Array([10]))
  })

  it('a bucket passes its burst, then refuses with a wait of at least a second', async () => {
    const kv = new MemoryKeyValueStore()
    const waits = await Promise.all(Array.from({ length: 5 }, () => takeToken(kv, 'r', { rate: 1, burst: 3 })))
    expect(waits.filter((w) => w === 0)).toHaveLength(3)
    expect(waits.slice(3).every((w) => w >= 1)).toBe(true)
    expect(await takeToken(kv, 'r', { rate: Infinity, burst: 1 })).toBe(0)
  })

  it('takes of several tokens get the whole tokens the bucket holds, up to what each asks, and no more', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 12 }), async (asks) => {
        const kv = new MemoryKeyValueStore()
        const limit = { rate: 0.001, burst: 10 }
        const got = await Promise.all(asks.map((most) => takeTokens(kv, 'r', limit, most)))
        got.forEach((g, i) => expect(g.taken).toBeLessThanOrEqual(asks[i]!))
        for (const g of got) expect(g.taken > 0 ? g.wait === 0 : g.wait >= 1).toBe(true)
        expect(got.reduce((n, g) => n + g.taken, 0)).toBe(
          Math.min(
            10,
            asks.reduce((a, b) => a + b, 0),
          ),
        )
      }),
    )
    expect(await takeTokens(new MemoryKeyValueStore(), 'r', { rate: Infinity, burst: 1 }, 4)).toEqual({
      taken: 4,
      wait: 0,
    })
  })
})
