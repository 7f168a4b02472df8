// Header names (origin tenant and database, key id) are canonical text: one encoding per name, no
// look-alikes. A byte-order mark, a non-NFC form, a control character or invalid UTF-8 is refused
// with WEFT_MALFORMED_ENTRY by the reader, and the writer refuses to make such an entry at all.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  asDbName,
  asKeyId,
  asTenantId,
  ByteWriter,
  createEntry,
  Domain,
  ErrorCodes,
  hashEntryBytes,
  MemoryChangeStore,
  parseEntry,
  ready,
  signDetached,
  utf8,
  verifyEntry,
  type ParsedEntry,
  type SigningKeyPair,
} from '@weft/core/backend'
import { EntryFactory } from '@weft/core/testing'
import { ByteWriter as SrcByteWriter } from '../packages/core/src/codec/index.ts'
import { writeHeader } from '../packages/core/src/entries/header.ts'
import { encodeChangePayload } from '../packages/core/src/entries/index.ts'
import { entryLayout, type Span } from './helpers/entries.ts'

await ready()

const SEED = Number(process.env.WEFT_FC_SEED ?? 0x7e47)

/** Length-prefixed raw bytes, as the format writes a string field. */
function prefixed(raw: Uint8Array): Uint8Array {
  return new ByteWriter().bytes(raw).finish()
}

/**
 * The entry with the string field at `span` replaced by `raw` (any bytes, valid UTF-8 or not) and
 * signed again by its author: a well-signed entry whose only fault is the name's bytes.
 */
function withField(
  entry: ParsedEntry,
  span: Span,
  raw: Uint8Array,
  author: SigningKeyPair,
): { hash: ReturnType<typeof hashEntryBytes>; bytes: Uint8Array } {
  const b = entry.bytes
  const unsigned = new Uint8Array([
    ...b.subarray(0, span.start),
    ...prefixed(raw),
    ...b.subarray(span.end, b.length - 64),
  ])
  const bytes = new Uint8Array([...unsigned, ...signDetached(Domain.entrySignature, unsigned, author.privateKey)])
  return { hash: hashEntryBytes(bytes), bytes }
}

const BOM = [0xef, 0xbb, 0xbf]

describe('header names on read', () => {
  const f = new EntryFactory()
  const cases: [string, number[]][] = [
    ['a byte-order mark before the origin tenant', [...BOM, ...utf8('conformance')]],
    ['a non-NFC origin tenant (e + combining acute)', [...utf8('cafe\u0301')]],
    ['a control character in the origin tenant', [...utf8('con\u0007formance')]],
    ['a C1 control character in the origin tenant', [...utf8('con\u0085formance')]],
    ['an overlong UTF-8 sequence (C0 AF for "/")', [0x61, 0xc0, 0xaf]],
    ['an encoded surrogate (ED A0 80)', [0x61, 0xed, 0xa0, 0x80]],
    ['a truncated UTF-8 sequence', [0x61, 0xe2, 0x82]],
  ]
  for (const [what, raw] of cases) {
    it(`refuses ${what} with WEFT_MALFORMED_ENTRY, though the signature is valid`, async () => {
      const entry = f.entry()
      const tampered = withField(entry, entryLayout(entry.bytes).originTenant, Uint8Array.from(raw), f.signer)
      expect(() => verifyEntry(tampered.hash, tampered.bytes)).toThrow(
        expect.objectContaining({ code: ErrorCodes.MALFORMED_ENTRY }),
      )
      const store = new MemoryChangeStore()
      const result = await store.appendMany([tampered])
      expect(result.rejected).toMatchObject([{ hash: tampered.hash, error: { code: ErrorCodes.MALFORMED_ENTRY } }])
    })
  }

  it('refuses a byte-order mark in the database and key id fields too', () => {
    const entry = f.entry()
    const layout = entryLayout(entry.bytes)
    for (const span of [layout.originDb, layout.keyId]) {
      const name = new TextDecoder().decode(entry.bytes.subarray(span.start + 1, span.end))
      const tampered = withField(entry, span, Uint8Array.from([...BOM, ...utf8(name)]), f.signer)
      expect(() => parseEntry(tampered.hash, tampered.bytes)).toThrow(
        expect.objectContaining({ code: ErrorCodes.MALFORMED_ENTRY }),
      )
    }
  })
})

describe('header names on write', () => {
  const f = new EntryFactory()
  const make = (tenant: string, db = 'db', keyId = 'default') =>
    createEntry({
      kind: 'create',
      docId: f.docIds[0]!,
      origin: { tenant: asTenantId(tenant), db: asDbName(db) },
      deps: [],
      keyId: asKeyId(keyId),
      keyVersion: 1,
      key: f.key,
      payload: encodeChangePayload([new Uint8Array(4)]),
      author: f.signer,
    })

  it.each([
    ['a byte-order mark', '\ufeffacme'],
    ['a non-NFC form', 'cafe\u0301'],
    ['a control character', 'ac\u0000me'],
    ['a lone surrogate', 'ac\ud800me'],
    ['an empty name', ''],
    ['a name over its byte limit', 'x'.repeat(513)],
  ])('refuses to make an entry whose origin has %s', (_, tenant) => {
    expect(() => make(tenant)).toThrow(expect.objectContaining({ code: ErrorCodes.MALFORMED_ENTRY }))
  })

  it('refuses a non-canonical database name and key id', () => {
    expect(() => make('acme', 'or\ufeffders')).toThrow(expect.objectContaining({ code: ErrorCodes.MALFORMED_ENTRY }))
    expect(() => make('acme', 'orders', 'co\u0301llab')).toThrow(
      expect.objectContaining({ code: ErrorCodes.MALFORMED_ENTRY }),
    )
  })
})

/** Canonical names: any Unicode, normalised to NFC, without controls or U+FEFF, within limits. */
const canonicalName = (maxBytes: number) =>
  fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
    .map((s) => s.normalize('NFC').replace(/[\u0000-\u001f\u007f-\u009f\ufeff]/gu, 'x'))
    .filter((s) => s.length > 0 && s.normalize('NFC') === s && utf8(s).length <= maxBytes)

describe('header names, by property', () => {
  const author = new EntryFactory().signer
  const key = new EntryFactory().key
  const entryOf = (tenant: string, db: string, keyId: string) =>
    createEntry({
      kind: 'create',
      docId: new EntryFactory().docIds[0]!,
      origin: { tenant: asTenantId(tenant), db: asDbName(db) },
      deps: [],
      keyId: asKeyId(keyId),
      keyVersion: 1,
      key,
      payload: encodeChangePayload([new Uint8Array(4)]),
      author,
    })
  const reencoded = (e: ParsedEntry) => {
    const w = new SrcByteWriter()
    writeHeader(w, e.header)
    return w.finish()
  }

  it('parse(encode(header)) gives the same names and the same bytes back, for canonical names', () => {
    fc.assert(
      fc.property(canonicalName(512), canonicalName(128), canonicalName(64), (tenant, db, keyId) => {
        const entry = entryOf(tenant, db, keyId)
        const parsed = parseEntry(entry.hash, entry.bytes)
        expect([parsed.header.origin.tenant, parsed.header.origin.db, parsed.header.keyId]).toEqual([tenant, db, keyId])
        expect(reencoded(parsed)).toEqual(entry.headerBytes)
      }),
      { seed: SEED, numRuns: 200 },
    )
  })

  it('a flipped byte in a name is refused, or reads as another name whose encoding is exactly those bytes', () => {
    const fields = ['originTenant', 'originDb', 'keyId'] as const
    fc.assert(
      fc.property(
        canonicalName(512),
        canonicalName(128),
        canonicalName(64),
        fc.constantFrom(...fields),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (tenant, db, keyId, field, at, mask) => {
          const entry = entryOf(tenant, db, keyId)
          const span = entryLayout(entry.bytes)[field]
          // Only the name's bytes, not its length prefix.
          let first = span.start
          while (entry.bytes[first]! & 0x80) first++
          first++
          const offset = first + (at % (span.end - first))
          const bytes = entry.bytes.slice()
          bytes[offset]! ^= mask
          const hash = hashEntryBytes(bytes)
          expect(hash).not.toBe(entry.hash)
          let parsed: ParsedEntry
          try {
            parsed = parseEntry(hash, bytes)
          } catch (err) {
            expect(err).toMatchObject({ code: ErrorCodes.MALFORMED_ENTRY })
            return
          }
          const before = [tenant, db, keyId]
          const after = [parsed.header.origin.tenant, parsed.header.origin.db, parsed.header.keyId]
          expect(after).not.toEqual(before)
          expect(reencoded(parsed)).toEqual(bytes.subarray(0, parsed.headerBytes.length))
        },
      ),
      { seed: SEED, numRuns: 500 },
    )
  })
})
