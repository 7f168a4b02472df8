import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MemoryBudget, type Hold } from '../src/MemoryBudget.ts'

const LIMIT = 100

type Op =
  | { kind: 'hold'; tenant: number; bytes: number }
  | { kind: 'resize'; index: number; bytes: number }
  | { kind: 'release'; index: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('hold' as const),
    tenant: fc.integer({ min: 0, max: 2 }),
    bytes: fc.integer({ min: 0, max: 150 }),
  }),
  fc.record({ kind: fc.constant('resize' as const), index: fc.nat(), bytes: fc.integer({ min: 0, max: 150 }) }),
  fc.record({ kind: fc.constant('release' as const), index: fc.nat() }),
)

describe('MemoryBudget', () => {
  it('counts exactly what live holds hold, keeps each tenant within its budget (one item from empty excepted), and returns to zero', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const budget = new MemoryBudget(() => LIMIT)
        const holds: { tenant: string; hold: Hold }[] = []
        const sum = (t: string) => holds.filter((h) => h.tenant === t).reduce((n, h) => n + h.hold.bytes, 0)
        for (const o of ops) {
          if (o.kind === 'hold') {
            const t = `t${o.tenant}`
            const before = budget.held(t)
            const h = budget.hold(t, o.bytes)
            expect(h !== undefined).toBe(before === 0 || before + o.bytes <= LIMIT)
            if (h) holds.push({ tenant: t, hold: h })
          } else if (holds.length) {
            const { tenant, hold } = holds[o.index % holds.length]!
            if (o.kind === 'release') hold.release()
            else {
              const before = budget.held(tenant)
              const had = hold.bytes
              const released = !holds.some((h) => h.hold === hold && h.hold.bytes > 0) && before === sum(tenant)
              const ok = hold.resize(o.bytes)
              // Refused only for a growth past the budget (or a released hold); shrinking always works.
              if (!ok) expect(released || (o.bytes > had && before > 0 && before + o.bytes - had > LIMIT)).toBe(true)
              else expect(hold.bytes).toBe(o.bytes)
            }
          }
          for (const t of ['t0', 't1', 't2']) {
            expect(budget.held(t)).toBe(sum(t))
            const live = holds.filter((h) => h.tenant === t && h.hold.bytes > 0)
            if (live.length > 1) expect(budget.held(t)).toBeLessThanOrEqual(LIMIT)
          }
        }
        for (const h of holds) h.hold.release()
        for (const t of ['t0', 't1', 't2']) expect(budget.held(t)).toBe(0)
      }),
    )
  })
})
