import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, ready } from '@weft/core'
import { MAIL_LIMITS } from '@weft/protocol'
import { encodeRosterMail, MAX_ROSTER_PARTS, RosterAssembler } from '../src/relay/rosterMail.ts'

beforeAll(ready)

const GRANT = 'g1'
/** A roster-shaped value of about `size` bytes (its kept list is what makes real rosters large). */
const roster = (seq: number, size: number) => ({
  v: 1,
  seq,
  grantId: GRANT,
  writers: [{ keys: ['k'], kept: ['a'.repeat(size)] }],
})

describe('roster mail', () => {
  it('splits a roster into messages within the mailbox limit and puts it back together from any order of its parts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 400_000 }),
        fc.integer({ min: 1, max: 1_000 }),
        fc.func(fc.integer()),
        (size, seq, shuffleKey) => {
          const value = roster(seq, size)
          const parts = encodeRosterMail(GRANT, value)
          expect(parts.every((p) => p.length <= MAIL_LIMITS.maxMessageBytes)).toBe(true)
          const order = parts
            .map((p, i) => ({ p, k: shuffleKey(i) }))
            .sort((x, y) => x.k - y.k)
            .map((x) => x.p)
          const assembler = new RosterAssembler(GRANT)
          const out = order.map((p) => assembler.add(p))
          expect(out.slice(0, -1).every((o) => o === undefined)).toBe(true)
          expect(out.at(-1)).toEqual(value)
        },
      ),
      { numRuns: 40 },
    )
  })

  it('ignores parts of an older roster, of another grant, and anything that is not a part', () => {
    const assembler = new RosterAssembler(GRANT)
    const newer = encodeRosterMail(GRANT, roster(5, 100_000))
    const older = encodeRosterMail(GRANT, roster(4, 10))
    expect(newer.length).toBeGreaterThan(1)
    expect(assembler.add(newer[0]!)).toBeUndefined()
    expect(assembler.add(older[0]!)).toBeUndefined() // seq 4 after seq 5: dropped
    expect(assembler.add(encodeRosterMail('other', roster(6, 10))[0]!)).toBeUndefined()
    expect(assembler.add(new Uint8Array([1, 2, 3]))).toBeUndefined()
    let done: unknown
    for (const p of newer.slice(1)) done = assembler.add(p)
    expect(done).toEqual(roster(5, 100_000))
  })

  it('refuses a roster that needs more messages than a relay carries, with WEFT_PAYLOAD_TOO_LARGE', () => {
    expect(() => encodeRosterMail(GRANT, roster(1, MAX_ROSTER_PARTS * MAIL_LIMITS.maxMessageBytes))).toThrow(
      expect.objectContaining({ code: ErrorCodes.PAYLOAD_TOO_LARGE }),
    )
  })
})
