import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeClusterMessage, encodeClusterMessage, LocalClusterHub, type ClusterMessage } from '../src/backend.ts'

const message = fc.record({
  topic: fc.string({ maxLength: 64 }),
  tenant: fc.string({ maxLength: 200 }),
  data: fc.dictionary(fc.string({ maxLength: 20 }), fc.oneof(fc.string({ maxLength: 50 }), fc.integer()), {
    maxKeys: 8,
  }),
})

describe('cluster messages', () => {
  it('decode what encode made, whatever the message', () => {
    fc.assert(
      fc.property(fc.uuid(), message, (origin, m) => {
        expect(decodeClusterMessage(encodeClusterMessage(origin, m))).toEqual({ origin, message: m })
      }),
    )
  })

  it('decode anything else to undefined, never throwing', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        const d = decodeClusterMessage(text)
        if (d !== undefined) expect(typeof d.message.tenant).toBe('string')
      }),
    )
    expect(decodeClusterMessage('{"o":"x","t":"stored","n":"a","d":{"k":{}}}')).toBeUndefined()
    expect(decodeClusterMessage('[1]')).toBeUndefined()
    // A field named __proto__ stays a field (found by the property above), and sets no prototype.
    const decoded = decodeClusterMessage('{"o":"x","t":"t","n":"a","d":{"__proto__":"v"}}')!
    expect(Object.getOwnPropertyDescriptor(decoded.message.data, '__proto__')?.value).toBe('v')
    expect(Object.getPrototypeOf(decoded.message.data)).toBe(Object.prototype)
  })

  it('refuse a message past the NOTIFY limit', () => {
    expect(() => encodeClusterMessage('o', { topic: 't', tenant: 'a', data: { x: 'y'.repeat(8_000) } })).toThrow(
      RangeError,
    )
  })
})

describe('LocalClusterHub', () => {
  it("delivers each bus's messages to the other buses only", async () => {
    const hub = new LocalClusterHub()
    const [a, b, c] = [hub.bus(), hub.bus(), hub.bus()]
    const got = { a: [] as ClusterMessage[], b: [] as ClusterMessage[], c: [] as ClusterMessage[] }
    a.subscribe((m) => got.a.push(m))
    b.subscribe((m) => got.b.push(m))
    c.subscribe((m) => got.c.push(m))
    await c.close()
    await a.publish({ topic: 'members', tenant: 'acme' })
    await new Promise((r) => setTimeout(r, 0))
    expect(got).toEqual({ a: [], b: [{ topic: 'members', tenant: 'acme', data: {} }], c: [] })
  })
})
