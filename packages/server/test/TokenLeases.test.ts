import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MemoryKeyValueStore, takeTokens, type KeyValueStore, type TokenLimit } from '@weft/core/backend'
import { LEASE_MS, leaseCap, MAX_LEASE, TokenLeases } from '../src/TokenLeases.ts'

/**
 * A record store whose buckets are the in-process ones of `takeTokens`, counting the takes that
 * reach them and the tokens they got: what a shared store (PostgreSQL) would be asked.
 */
class CountingBuckets extends MemoryKeyValueStore {
  readonly #plain = new MemoryKeyValueStore()
  calls = 0
  tokens = 0

  async takeTokens(key: string, limit: TokenLimit, most: number) {
    this.calls++
    const got = await takeTokens(this.#plain, key, limit, most)
    this.tokens += got.taken
    return got
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('TokenLeases', () => {
  it('several processes leasing from one bucket pass no more than it allows, and are refused only when it is empty', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 800 }),
        fc.constantFrom(0.001, 400),
        async (processes, order, burst, rate) => {
          const kv = new CountingBuckets()
          const leases = Array.from({ length: processes }, () => new TokenLeases(kv))
          const limit = { rate, burst }
          const started = Date.now()
          const waits = await Promise.all(order.map((p) => leases[p % processes]!.take('rate/t', limit)))
          const seconds = (Date.now() - started) / 1000
          const passed = waits.filter((w) => w === 0).length
          // Every request passed spent a token taken from the shared bucket, never one twice, and
          // the bucket gave no more than its burst and its rate.
          expect(passed).toBeLessThanOrEqual(kv.tokens)
          expect(kv.tokens).toBeLessThanOrEqual(burst + Math.ceil(rate * seconds))
          // What was taken and not spent is at most a lease per process.
          expect(kv.tokens - passed).toBeLessThanOrEqual(processes * leaseCap(limit))
          // A request is refused only by an empty bucket: once all of the burst was taken.
          if (passed < order.length) expect(kv.tokens).toBeGreaterThanOrEqual(burst)
          for (const w of waits.filter((x) => x > 0)) expect(w).toBeGreaterThanOrEqual(1)
          // With no lease above one token, the bucket decides each request as it did alone.
          if (leaseCap(limit) === 1) expect(passed).toBe(Math.min(order.length, kv.tokens))
        },
      ),
      { numRuns: 80 },
    )
  })

  it('a busy tenant takes from the shared bucket a lease at a time, not once a request', async () => {
    const kv = new CountingBuckets()
    const leases = new TokenLeases(kv)
    const limit = { rate: 1_000, burst: 2_000 }
    for (let round = 0; round < 10; round++)
      expect(await Promise.all(Array.from({ length: 50 }, () => leases.take('rate/busy', limit)))).toEqual(
        Array(50).fill(0),
      )
    expect(kv.calls).toBeLessThanOrEqual(500 / 8)
    expect(kv.tokens).toBeLessThan(500 + 10 * MAX_LEASE)
  })

  it('a quiet tenant takes one token a request, and tokens taken ahead lapse', async () => {
    const kv = new CountingBuckets()
    const leases = new TokenLeases(kv)
    const limit = { rate: 1_000, burst: 2_000 }
    for (let i = 0; i < 3; i++) {
      expect(await leases.take('rate/quiet', limit)).toBe(0)
      await sleep(LEASE_MS + 20)
    }
    expect(kv.calls).toBe(3)
    expect(kv.tokens).toBe(3)
    // A burst leases a few ahead; once they lapse, the next request asks the bucket again.
    await Promise.all(Array.from({ length: 40 }, () => leases.take('rate/quiet', limit)))
    const asked = kv.calls
    await sleep(LEASE_MS + 20)
    await leases.take('rate/quiet', limit)
    expect(kv.calls).toBe(asked + 1)
  })

  it('takes exactly one token a request when the limit is small', async () => {
    expect(leaseCap({ rate: 2, burst: 6 })).toBe(1)
    expect(leaseCap({ rate: 1_000, burst: 2_000 })).toBe(MAX_LEASE)
    expect(leaseCap({ rate: 1_000, burst: 64 })).toBe(4)
    const kv = new CountingBuckets()
    const leases = new TokenLeases(kv)
    const waits = await Promise.all(Array.from({ length: 20 }, () => leases.take('rate/small', { rate: 2, burst: 6 })))
    expect(waits.filter((w) => w === 0)).toHaveLength(6)
    expect(kv.tokens).toBe(6)
  })

  it('a failing bucket fails every request waiting on its take, and the next take asks again', async () => {
    let fail = true
    const kv: KeyValueStore = Object.assign(new MemoryKeyValueStore(), {
      takeTokens: async (key: string, limit: TokenLimit, most: number) => {
        if (fail) throw new Error('storage down')
        return takeTokens(new MemoryKeyValueStore(), key, limit, most)
      },
    })
    const leases = new TokenLeases(kv)
    const limit = { rate: 1_000, burst: 2_000 }
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => leases.take('rate/f', limit)))
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true)
    fail = false
    expect(await leases.take('rate/f', limit)).toBe(0)
  })
})
