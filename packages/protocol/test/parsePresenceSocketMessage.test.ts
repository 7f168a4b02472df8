import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PRESENCE_LIMITS } from '@weft/core'
import { isWeftError } from '@weft/core/backend'
import { DEFAULT_LIMITS, parseClientSocketMessage, parseServerSocketMessage } from '../src/index.ts'

const data = new Uint8Array([1, 2, 3])
const typed = (fn: () => unknown): void => {
  try {
    fn()
  } catch (err) {
    if (!isWeftError(err)) throw err
  }
}

describe('presence socket messages', () => {
  it('client to server: watch, unwatch and presence come back typed; the tenant scope is the empty string', () => {
    for (const m of [
      { type: 'presence-watch', scope: 'notes' },
      { type: 'presence-unwatch', scope: '' },
      { type: 'presence', scope: 'notes', data },
    ])
      expect(parseClientSocketMessage(m)).toEqual(m)
  })

  it('server to client: presence and presence-refused come back typed', () => {
    const parse = (raw: unknown) => parseServerSocketMessage(raw, DEFAULT_LIMITS)
    expect(parse({ type: 'presence', scope: '', data })).toEqual({ type: 'presence', scope: '', data })
    expect(parse({ type: 'presence-refused', scope: 'notes', code: 'WEFT_RATE_LIMITED', message: 'm' })).toEqual({
      type: 'presence-refused',
      scope: 'notes',
      code: 'WEFT_RATE_LIMITED',
      message: 'm',
    })
  })

  it('refuses malformed ones with typed errors, and data over the limit before anything else', () => {
    const big = new Uint8Array(PRESENCE_LIMITS.maxMessageBytes + 1)
    const cases: [unknown, string][] = [
      [{ type: 'presence', scope: 'a/b', data }, 'WEFT_PROTOCOL'],
      [{ type: 'presence', scope: 7, data }, 'WEFT_PROTOCOL'],
      [{ type: 'presence', scope: 'notes', data: 'text' }, 'WEFT_PROTOCOL'],
      [{ type: 'presence', scope: 'notes' }, 'WEFT_PROTOCOL'],
      [{ type: 'presence-watch', scope: 'x'.repeat(129) }, 'WEFT_PROTOCOL'],
      [{ type: 'presence', scope: 'notes', data: big }, 'WEFT_PAYLOAD_TOO_LARGE'],
    ]
    for (const [raw, code] of cases) {
      expect(() => parseClientSocketMessage(raw)).toThrow(expect.objectContaining({ code }))
      expect(() => parseServerSocketMessage(raw, DEFAULT_LIMITS)).toThrow(expect.objectContaining({ code }))
    }
    expect(() =>
      parseServerSocketMessage({ type: 'presence-refused', scope: '', code: 'nope', message: '' }, DEFAULT_LIMITS),
    ).toThrow(expect.objectContaining({ code: 'WEFT_PROTOCOL' }))
  })

  it('never throws anything but a typed error, and never returns data over the limit, whatever it is given', () => {
    const presenceLike = fc.record({
      type: fc.constantFrom('presence', 'presence-watch', 'presence-unwatch', 'presence-refused'),
      scope: fc.oneof(fc.string({ maxLength: 140 }), fc.constant(''), fc.anything()),
      data: fc.oneof(fc.uint8Array({ maxLength: PRESENCE_LIMITS.maxMessageBytes + 8 }), fc.anything()),
      code: fc.oneof(fc.constant('WEFT_RATE_LIMITED'), fc.string()),
      message: fc.anything(),
    })
    fc.assert(
      fc.property(fc.oneof(presenceLike, fc.anything()), (raw) => {
        for (const parse of [parseClientSocketMessage, (r: unknown) => parseServerSocketMessage(r, DEFAULT_LIMITS)]) {
          typed(() => {
            const m = parse(raw) as { data?: Uint8Array }
            if (m.data) expect(m.data.length).toBeLessThanOrEqual(PRESENCE_LIMITS.maxMessageBytes)
          })
        }
      }),
      { numRuns: 500 },
    )
  })
})
