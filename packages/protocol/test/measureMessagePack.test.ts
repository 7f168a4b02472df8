import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ErrorCodes, isWeftError, packValue, unpackValue } from '@weft/core/backend'
import { measureMessagePack, type DecodeBudget } from '../src/index.ts'

const roomy: DecodeBudget = { maxElements: 1_000_000, maxDepth: 64, maxDecodedBytes: 1 << 30 }

/** Values Weft puts in its messages: maps with string keys, lists, strings, bytes, numbers, booleans, null. */
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true }),
    fc.maxSafeInteger(),
    fc.string(),
    fc.uint8Array({ maxLength: 300 }),
    fc.array(tie('v'), { maxLength: 20 }),
    fc.dictionary(
      fc.string().filter((k) => k !== '__proto__'),
      tie('v'),
      { maxKeys: 20 },
    ),
  ),
})).v

/** Values in a decoded message as the budget counts them: every array item, map key and map value. */
function countValues(v: unknown): number {
  if (Array.isArray(v)) return 1 + v.reduce((n: number, x) => n + countValues(x), 0)
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array))
    return 1 + Object.values(v).reduce((n: number, x) => n + 1 + countValues(x), 0)
  return 1
}

function header(bytes: number[]): Uint8Array {
  return new Uint8Array(bytes)
}

describe('measureMessagePack', () => {
  it('passes every protocol value, counting what the decoder then makes of it', () => {
    fc.assert(
      fc.property(value, (v) => {
        const bytes = packValue(v)
        expect(measureMessagePack(bytes, roomy).elements).toBe(countValues(unpackValue(bytes, bytes.length)))
      }),
    )
  })

  it('refuses any value over its element, depth or memory budget, before decoding', () => {
    fc.assert(
      fc.property(value, (v) => {
        const bytes = packValue(v)
        const m = measureMessagePack(bytes, roomy)
        const tight = [
          { ...roomy, maxElements: m.elements - 1 },
          { ...roomy, maxDepth: m.depth - 1 },
          { ...roomy, maxDecodedBytes: m.decodedBytes - 1 },
        ]
        for (const budget of tight) {
          if (budget.maxDepth < 0) continue // a scalar: no nesting to refuse
          expect(() => measureMessagePack(bytes, budget)).toThrow(
            expect.objectContaining({ code: ErrorCodes.PAYLOAD_TOO_LARGE }),
          )
        }
      }),
    )
  })

  it('answers any bytes with a typed error or a measure, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          measureMessagePack(bytes, roomy)
        } catch (err) {
          expect(
            isWeftError(err) && [ErrorCodes.PROTOCOL, ErrorCodes.PAYLOAD_TOO_LARGE].includes(err.code as never),
          ).toBe(true)
        }
      }),
      { numRuns: 2_000 },
    )
  })

  it('refuses the known attacks at their first bytes: huge declared lengths, deep nesting, floods of tiny values', () => {
    const budget: DecodeBudget = { maxElements: 100, maxDepth: 4, maxDecodedBytes: 1 << 20 }
    const refuse = (bytes: Uint8Array, code: string) =>
      expect(() => measureMessagePack(bytes, budget)).toThrow(expect.objectContaining({ code }))
    // An array, a map, a string and a binary that declare 4 GiB and hold nothing.
    for (const b of [0xdd, 0xdf, 0xdb, 0xc6]) refuse(header([b, 0xff, 0xff, 0xff, 0xff, 0x00]), ErrorCodes.PROTOCOL)
    // A million nested one-item arrays.
    refuse(new Uint8Array(1_000_000).fill(0x91), ErrorCodes.PAYLOAD_TOO_LARGE)
    // An array of a million empty maps.
    const maps = new Uint8Array(5 + 1_000_000).fill(0x80)
    maps.set([0xdd, 0x00, 0x0f, 0x42, 0x40])
    refuse(maps, ErrorCodes.PAYLOAD_TOO_LARGE)
    // Extension types, non-string keys, __proto__, trailing bytes.
    refuse(header([0xd4, 0x01, 0x00]), ErrorCodes.PROTOCOL)
    refuse(header([0x81, 0x01, 0x02]), ErrorCodes.PROTOCOL)
    refuse(packValue(JSON.parse('{"__proto__": 1}')), ErrorCodes.PROTOCOL)
    refuse(header([0xc0, 0xc0]), ErrorCodes.PROTOCOL)
  })
})
