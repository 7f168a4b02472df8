import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ByteReader,
  ByteWriter,
  CodecError,
  fromBase64Url,
  fromHex,
  fromHexInto,
  packValue,
  toBase64Url,
  toHex,
  unpackValue,
} from '../src/codec/index.ts'
import { packHashes, unpackHashes } from '../src/sync/reconcile/index.ts'

type Field =
  { t: 'varint'; v: number } | { t: 'bytes'; v: Uint8Array } | { t: 'string'; v: string } | { t: 'u8'; v: number }

const field: fc.Arbitrary<Field> = fc.oneof(
  fc.maxSafeNat().map((v) => ({ t: 'varint' as const, v })),
  fc.uint8Array({ maxLength: 300 }).map((v) => ({ t: 'bytes' as const, v })),
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((v) => ({ t: 'string' as const, v })),
  fc.integer({ min: 0, max: 255 }).map((v) => ({ t: 'u8' as const, v })),
)

function write(fields: Field[]): Uint8Array {
  const w = new ByteWriter(1)
  for (const f of fields) {
    if (f.t === 'varint') w.varint(f.v)
    else if (f.t === 'bytes') w.bytes(f.v)
    else if (f.t === 'string') w.string(f.v)
    else w.u8(f.v)
  }
  return w.finish()
}

function read(bytes: Uint8Array, fields: Field[]): unknown[] {
  const r = new ByteReader(bytes)
  const out = fields.map((f) =>
    f.t === 'varint' ? r.varint() : f.t === 'bytes' ? r.bytes(1 << 20) : f.t === 'string' ? r.string(1 << 20) : r.u8(),
  )
  r.end()
  return out
}

describe('binary codec', () => {
  it('round-trips any sequence of fields', () => {
    fc.assert(
      fc.property(fc.array(field, { maxLength: 20 }), (fields) => {
        expect(read(write(fields), fields)).toEqual(fields.map((f) => f.v))
      }),
    )
  })

  it('fails with a typed error on every truncation, never reading past the end', () => {
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 8 }), fc.nat(), (fields, cut) => {
        const bytes = write(fields)
        if (bytes.length === 0) return
        const truncated = bytes.subarray(0, cut % bytes.length)
        expect(() => read(truncated, fields)).toThrow(CodecError)
      }),
    )
  })

  it('rejects non-minimal varints, trailing bytes and lengths over the limit', () => {
    expect(() => new ByteReader(Uint8Array.of(0x80, 0x00)).varint()).toThrow(/non-minimal/)
    const r = new ByteReader(Uint8Array.of(1, 2))
    r.u8()
    expect(() => r.end()).toThrow(/trailing/)
    const big = new ByteWriter().bytes(new Uint8Array(100)).finish()
    expect(() => new ByteReader(big).bytes(99)).toThrow(expect.objectContaining({ failure: 'too-large' }))
  })

  it('rejects a declared length larger than the bytes that remain before allocating', () => {
    const lying = new ByteWriter().varint(1_000_000_000).finish()
    expect(() => new ByteReader(lying).bytes(2_000_000_000)).toThrow(expect.objectContaining({ failure: 'truncated' }))
  })
})

describe('text codecs', () => {
  it('round-trips hex and base64url', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        expect(fromHex(toHex(b))).toEqual(b)
        expect(toHex(b)).toBe(Buffer.from(b).toString('hex'))
        expect(fromBase64Url(toBase64Url(b))).toEqual(b)
        expect(toBase64Url(b)).toBe(Buffer.from(b).toString('base64url'))
      }),
    )
  })

  it('writes hex into a buffer at an offset, as fromHex would, and packs hashes without a copy each', () => {
    const hash = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => toHex(b))
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(8), (b, offset) => {
        const out = new Uint8Array(offset + b.length + 3).fill(7)
        fromHexInto(toHex(b), out, offset)
        expect(out.subarray(offset, offset + b.length)).toEqual(b)
        // Nothing outside its range is touched.
        expect([...out.subarray(0, offset), ...out.subarray(offset + b.length)].every((x) => x === 7)).toBe(true)
      }),
    )
    fc.assert(
      fc.property(fc.array(hash, { maxLength: 20 }), (hashes) => {
        const packed = packHashes(hashes)
        expect(packed).toEqual(Uint8Array.from(hashes.flatMap((h) => [...fromHex(h)])))
        expect(unpackHashes(packed)).toEqual(hashes)
      }),
    )
    expect(() => fromHexInto('abcd', new Uint8Array(2), 1)).toThrow(RangeError) // past the end
    expect(() => fromHexInto('zz', new Uint8Array(2), 0)).toThrow(RangeError)
    expect(() => packHashes(['AB'.repeat(32)])).toThrow(RangeError)
  })

  it('refuses malformed text', () => {
    expect(() => fromHex('abc')).toThrow()
    expect(() => fromHex('ZZ')).toThrow()
    expect(() => fromHex('AB')).toThrow() // lowercase only: one spelling per hash
    expect(() => fromHex('0g')).toThrow()
    expect(() => fromHex('/0')).toThrow()
    expect(() => fromBase64Url('a+b/')).toThrow()
  })
})

describe('msgpack values', () => {
  it('round-trips plain values with binary as Uint8Array', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.string(),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.uint8Array({ maxLength: 20 }),
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(
          fc.string({ minLength: 1, maxLength: 6 }).filter((k) => k !== '__proto__'),
          tie('v'),
          { maxKeys: 4 },
        ),
      ),
    })).v
    fc.assert(
      fc.property(value, (v) => {
        const back = unpackValue(packValue(v), 1 << 20)
        expect(back).toEqual(v)
      }),
    )
  })

  it('checks the size before decoding', () => {
    expect(() => unpackValue(packValue('x'.repeat(100)), 50)).toThrow(expect.objectContaining({ failure: 'too-large' }))
    expect(() => unpackValue(packValue({ a: 'xxxxxxxx' }).subarray(0, 5), 10)).toThrow(CodecError)
  })
})
