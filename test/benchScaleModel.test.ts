import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { percentile, shardOf, shardsFor, summarize, type ShardModelInput } from '../bench/scaleModel.ts'

describe('percentile (nearest rank)', () => {
  it('picks the values a hand count gives', () => {
    const xs = [15, 20, 35, 40, 50]
    expect(percentile(xs, 5)).toBe(15)
    expect(percentile(xs, 30)).toBe(20)
    expect(percentile(xs, 40)).toBe(20)
    expect(percentile(xs, 50)).toBe(35)
    expect(percentile(xs, 100)).toBe(50)
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i) // 100 down to 1, unsorted input
    expect(percentile(hundred, 50)).toBe(50)
    expect(percentile(hundred, 99)).toBe(99)
    expect(summarize([3, 1, 2])).toEqual({ count: 3, p50: 2, p99: 3, max: 3 })
  })

  it('refuses an empty sample and a percentile out of range', () => {
    expect(() => percentile([], 50)).toThrow(RangeError)
    expect(() => percentile([1], 0)).toThrow(RangeError)
    expect(() => percentile([1], 101)).toThrow(RangeError)
  })

  it('is a value of the sample, between min and max, and grows with p', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, min: -1e9, max: 1e9 }), { minLength: 1, maxLength: 200 }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        (xs, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a]
          const pl = percentile(xs, lo)
          expect(xs).toContain(pl)
          expect(pl).toBeLessThanOrEqual(percentile(xs, hi))
          // At least lo% of the values are at or below it.
          expect(xs.filter((x) => x <= pl).length).toBeGreaterThanOrEqual(Math.ceil((lo / 100) * xs.length))
        },
      ),
    )
  })
})

describe('shard model', () => {
  const base: ShardModelInput = {
    tenants: 10_000_000,
    activeShare: 0.05,
    entriesPerActiveTenantPerSecond: 0.2,
    entriesPerPush: 1,
    measuredEntriesPerSecond: 2_000,
    measuredNotificationsPerSecond: 20_000,
    utilisation: 0.5,
    maxTenantsPerShard: 100_000,
  }

  it('gives the count a hand computation gives, and what bound it', () => {
    // 10M x 5% x 0.2/s = 100,000 entries/s; each shard may take 1,000/s -> 100 shards.
    const r = shardsFor(base)
    expect(r.entriesPerSecond).toBeCloseTo(100_000)
    expect(r.notificationsPerSecond).toBeCloseTo(100_000)
    expect(r.shardsForWrites).toBe(100)
    expect(r.shardsForNotifications).toBe(10)
    expect(r.shardsForTenants).toBe(100)
    expect(r.shards).toBe(100)
    expect(r.tenantsPerShard).toBe(100_000)
    // Slow notifications bind: 100,000/s over 2,000 x 0.5 a shard.
    const n = shardsFor({ ...base, measuredNotificationsPerSecond: 2_000, measuredEntriesPerSecond: 1e6 })
    expect(n).toMatchObject({ shards: 100, boundBy: 'notifications' })
    // Pushes of 10 entries need a tenth of the notifications.
    expect(shardsFor({ ...base, entriesPerPush: 10 }).notificationsPerSecond).toBeCloseTo(10_000)
    // Few, quiet tenants: the tenant bound.
    expect(shardsFor({ ...base, activeShare: 0.001, maxTenantsPerShard: 50_000 })).toMatchObject({
      shards: 200,
      boundBy: 'tenants',
    })
  })

  it('refuses inputs out of range', () => {
    expect(() => shardsFor({ ...base, utilisation: 0 })).toThrow(RangeError)
    expect(() => shardsFor({ ...base, activeShare: 1.5 })).toThrow(RangeError)
    expect(() => shardsFor({ ...base, measuredEntriesPerSecond: Number.NaN })).toThrow(RangeError)
  })

  it('never plans a shard past its utilisation or tenant bound, and never one too many', () => {
    fc.assert(
      fc.property(
        fc.record({
          tenants: fc.integer({ min: 1, max: 100_000_000 }),
          activeShare: fc.double({ min: 0.0001, max: 1, noNaN: true }),
          entriesPerActiveTenantPerSecond: fc.double({ min: 0.001, max: 10, noNaN: true }),
          entriesPerPush: fc.integer({ min: 1, max: 100 }),
          measuredEntriesPerSecond: fc.integer({ min: 100, max: 100_000 }),
          measuredNotificationsPerSecond: fc.integer({ min: 100, max: 100_000 }),
          utilisation: fc.double({ min: 0.05, max: 1, noNaN: true }),
          maxTenantsPerShard: fc.integer({ min: 1_000, max: 1_000_000 }),
        }),
        (input) => {
          const r = shardsFor(input)
          const perShard = r.entriesPerSecond / r.shards
          expect(perShard).toBeLessThanOrEqual(input.measuredEntriesPerSecond * input.utilisation * (1 + 1e-9))
          expect(r.notificationsPerSecond / r.shards).toBeLessThanOrEqual(
            input.measuredNotificationsPerSecond * input.utilisation * (1 + 1e-9),
          )
          expect(input.tenants / r.shards).toBeLessThanOrEqual(input.maxTenantsPerShard)
          // One shard fewer would break the bound that bound it.
          if (r.shards > 1) {
            const fewer = r.shards - 1
            const broken =
              r.entriesPerSecond / fewer > input.measuredEntriesPerSecond * input.utilisation * (1 - 1e-9) ||
              r.notificationsPerSecond / fewer >
                input.measuredNotificationsPerSecond * input.utilisation * (1 - 1e-9) ||
              input.tenants / fewer > input.maxTenantsPerShard
            expect(broken).toBe(true)
          }
        },
      ),
    )
  })

  it('places tenants by id evenly enough: 100,000 ids over 16 shards within 5% of the mean', () => {
    const counts = new Array<number>(16).fill(0)
    for (let i = 0; i < 100_000; i++) counts[shardOf(`tenant-${i}`, 16)]!++
    for (const c of counts) expect(Math.abs(c - 100_000 / 16)).toBeLessThan(0.05 * (100_000 / 16))
    expect(shardOf('acme', 1)).toBe(0)
    expect(shardOf('acme', 7)).toBe(shardOf('acme', 7))
    expect(() => shardOf('acme', 0)).toThrow(RangeError)
  })
})
