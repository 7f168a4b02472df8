import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isWeftError } from '@weft/core/backend'
import { DEFAULT_LIMITS, parseServerSocketMessage } from '../src/index.ts'

const hash = 'ab'.repeat(32)
const good = {
  type: 'entries',
  db: 'notes',
  entries: [{ hash, bytes: new Uint8Array([1, 2, 3]) }],
  cursor: { epoch: 'e1', seq: 4 },
  reset: false,
  done: true,
}
const parse = (raw: unknown) => parseServerSocketMessage(raw, DEFAULT_LIMITS)

describe('parseServerSocketMessage', () => {
  it('returns a well-formed entries page and error typed', () => {
    expect(parse(good)).toEqual(good)
    expect(parse({ type: 'error', code: 'WEFT_QUOTA_EXCEEDED', message: 'm' })).toEqual({
      type: 'error',
      code: 'WEFT_QUOTA_EXCEEDED',
      message: 'm',
    })
  })

  it('refuses malformed pages with typed errors', () => {
    const cases: [unknown, string][] = [
      [{ ...good, type: 'hello' }, 'WEFT_PROTOCOL'],
      [{ ...good, db: 'a/b' }, 'WEFT_PROTOCOL'],
      [{ ...good, entries: {} }, 'WEFT_PROTOCOL'],
      [{ ...good, entries: [{ hash: 'zz', bytes: new Uint8Array(1) }] }, 'WEFT_PROTOCOL'],
      [{ ...good, entries: [{ hash, bytes: 'text' }] }, 'WEFT_PROTOCOL'],
      [{ ...good, cursor: null }, 'WEFT_PROTOCOL'],
      [{ ...good, done: 'yes' }, 'WEFT_PROTOCOL'],
      [{ type: 'error', code: 'not a code', message: '' }, 'WEFT_PROTOCOL'],
      [{ ...good, entries: Array.from({ length: 2_001 }, () => good.entries[0]) }, 'WEFT_TOO_MANY_ENTRIES'],
      [
        { ...good, entries: [{ hash, bytes: new Uint8Array(DEFAULT_LIMITS.maxEntryBytes + 1) }] },
        'WEFT_PAYLOAD_TOO_LARGE',
      ],
    ]
    for (const [raw, code] of cases) expect(() => parse(raw)).toThrow(expect.objectContaining({ code }))
  })

  it('never throws anything but a typed error, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything(), (raw) => {
        try {
          parse(raw)
        } catch (err) {
          expect(isWeftError(err)).toBe(true)
        }
      }),
    )
  })
})
