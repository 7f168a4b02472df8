import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ErrorCodes, isWeftError } from '@weft/core'
import { ChallengeTable } from '../src/ChallengeTable.ts'

const QUOTAS = { maxPending: 20, maxPendingPerTenant: 8, maxPendingPerAddress: 12 }

/** A request for a challenge: which tenant, from which address, when. */
const ask = fc.record({
  tenant: fc.integer({ min: 0, max: 5 }),
  address: fc.integer({ min: 0, max: 4 }),
  wait: fc.integer({ min: 0, max: 60 }),
})

describe('ChallengeTable', () => {
  it('never holds more than its quotas, and a tenant or address under its quota is never refused', () => {
    fc.assert(
      fc.property(fc.array(ask, { minLength: 40, maxLength: 200 }), (asks) => {
        const table = new ChallengeTable(QUOTAS)
        const live = new Map<string, { tenant: string; address: string; expiresAt: number }>()
        let now = 0
        asks.forEach((a, i) => {
          now += a.wait
          const c = { tenant: `t${a.tenant}`, key: 'k', address: `a${a.address}`, expiresAt: now + 1_000 }
          for (const [id, x] of live) if (x.expiresAt < now) live.delete(id)
          const held = (f: (x: { tenant: string; address: string }) => boolean) => [...live.values()].filter(f).length
          const tenantHeld = held((x) => x.tenant === c.tenant)
          const addressHeld = held((x) => x.address === c.address)
          try {
            table.add(`c${i}`, c, now)
            live.set(`c${i}`, c)
          } catch (err) {
            expect(isWeftError(err, ErrorCodes.RATE_LIMITED)).toBe(true)
            // Refused only at a quota of its own tenant or address: never because the table was full.
            expect(tenantHeld >= QUOTAS.maxPendingPerTenant || addressHeld >= QUOTAS.maxPendingPerAddress).toBe(true)
          }
          // (The model keeps what the table dropped to make room, so it counts at least what the table holds.)
          expect(table.size).toBeLessThanOrEqual(QUOTAS.maxPending)
        })
      }),
    )
  })

  it('makes room by dropping the oldest challenge of the tenant holding the most', () => {
    const table = new ChallengeTable({ maxPending: 4, maxPendingPerTenant: 4, maxPendingPerAddress: 10 })
    for (let i = 0; i < 3; i++) table.add(`big${i}`, { tenant: 'big', key: 'k', address: 'a', expiresAt: 10 }, 0)
    table.add('small0', { tenant: 'small', key: 'k', address: 'a', expiresAt: 10 }, 0)
    table.add('other0', { tenant: 'other', key: 'k', address: 'a', expiresAt: 10 }, 0)
    expect(table.take('big0')).toBeUndefined()
    for (const id of ['big1', 'big2', 'small0', 'other0']) expect(table.take(id), id).toBeDefined()
  })

  it('takes each challenge once, and forgets expired ones', () => {
    const table = new ChallengeTable({ maxPending: 10, maxPendingPerTenant: 1, maxPendingPerAddress: 10 })
    table.add('x', { tenant: 't', key: 'k', address: 'a', expiresAt: 5 }, 0)
    expect(() => table.add('y', { tenant: 't', key: 'k', address: 'a', expiresAt: 5 }, 1)).toThrow(
      expect.objectContaining({ code: ErrorCodes.RATE_LIMITED }),
    )
    table.add('z', { tenant: 't', key: 'k', address: 'a', expiresAt: 20 }, 10) // x expired: room again
    expect(table.take('x')).toBeUndefined()
    expect(table.take('z')).toBeDefined()
    expect(table.take('z')).toBeUndefined()
  })
})
