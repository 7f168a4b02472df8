import { describe, expect, it } from 'vitest'
import { RequestCounters } from '../src/tenancy/RequestCounters.ts'

describe('RequestCounters', () => {
  it('counts the last hour by minute and the last day by hour, forgetting what is older', () => {
    let now = Date.UTC(2026, 0, 1)
    const c = new RequestCounters(10, () => now)
    c.count('a', false)
    c.count('a', true)
    now += 30 * 60_000
    c.count('a', false)
    expect(c.counts('a')).toEqual({ lastHour: { requests: 3, refusals: 1 }, lastDay: { requests: 3, refusals: 1 } })
    now += 45 * 60_000 // the first two are out of the hour
    expect(c.counts('a').lastHour).toEqual({ requests: 1, refusals: 0 })
    expect(c.counts('a').lastDay).toEqual({ requests: 3, refusals: 1 })
    now += 24 * 3_600_000
    expect(c.counts('a')).toEqual({ lastHour: { requests: 0, refusals: 0 }, lastDay: { requests: 0, refusals: 0 } })
    expect(c.counts('b').lastHour.requests).toBe(0)
  })

  it('tracks at most its number of tenants, forgetting the least recently counted', () => {
    const c = new RequestCounters(2)
    c.count('a', false)
    c.count('b', false)
    c.count('a', false)
    c.count('c', false)
    expect([c.counts('a'), c.counts('b'), c.counts('c')].map((x) => x.lastHour.requests)).toEqual([2, 0, 1])
  })
})
