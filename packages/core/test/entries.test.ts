import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, asDbName, asDocId, asKeyId, asTenantId, type ChangeHash } from '../src/index.ts'
import { generateKey, generateSigningKeyPair, ready } from '../src/crypto/index.ts'
import {
  createEntry,
  decodeChangePayload,
  decryptEntry,
  decryptEntryWithKey,
  encodeChangePayload,
  findEntryKey,
  hashEntryBytes,
  parseEntry,
  verifyEntry,
} from '../src/entries/index.ts'
import { KeyBag } from '../src/keys/index.ts'

beforeAll(ready)

const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n })
const name = (max: number) =>
  fc.string({ minLength: 1, maxLength: max }).filter((s) => new TextEncoder().encode(s).length <= max)

describe('entries', () => {
  it('round-trip every header field through create → verify → decrypt', async () => {
    const author = generateSigningKeyPair()
    const bag = KeyBag.create()
    const { key, version } = bag.current('default')
    fc.assert(
      fc.property(
        fc.record({
          kind: fc.constantFrom('create', 'change', 'delete', 'snapshot'),
          docId: hex(32),
          tenant: name(60),
          db: name(30),
          deps: fc.uniqueArray(hex(64), { maxLength: 5 }),
          createdAt: fc.maxSafeNat(),
          payload: fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 4 }),
        }),
        (r) => {
          const e = createEntry({
            kind: r.kind as 'change',
            docId: asDocId(r.docId),
            origin: { tenant: asTenantId(r.tenant), db: asDbName(r.db) },
            deps: r.deps as ChangeHash[],
            keyId: asKeyId('default'),
            keyVersion: version,
            key,
            payload: encodeChangePayload(r.payload),
            author,
            createdAt: r.createdAt,
          })
          const back = verifyEntry(e.hash, e.bytes.slice())
          expect(back.header).toEqual({ ...e.header, deps: [...r.deps].sort() })
          expect(back.header.createdAt).toBe(r.createdAt)
          expect(decodeChangePayload(decryptEntry(back, bag))).toEqual(r.payload)
          expect(hashEntryBytes(e.bytes)).toBe(e.hash)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('opens an entry with the key findEntryKey found, and refuses any other key and any bit flipped past the commitment', () => {
    const author = generateSigningKeyPair()
    const bag = KeyBag.create()
    const { key, version } = bag.current('default')
    const payload = encodeChangePayload([Uint8Array.of(1, 2, 3)])
    const e = createEntry({
      kind: 'change',
      docId: asDocId('cd'.repeat(16)),
      origin: { tenant: asTenantId('t'), db: asDbName('d') },
      deps: [],
      keyId: asKeyId('default'),
      keyVersion: version,
      key,
      payload,
      author,
    })
    const found = findEntryKey(e, bag)!
    expect(found.key).toBe(key)
    expect(decodeChangePayload(decryptEntryWithKey(e, found.key))).toEqual([Uint8Array.of(1, 2, 3)])
    // Any other key is checked in full: it does not commit, so it does not open.
    expect(() => decryptEntryWithKey(e, generateKey())).toThrow(
      expect.objectContaining({ code: ErrorCodes.DECRYPT_FAILED }),
    )
    // Past the 32-byte commitment, any flipped bit leaves the commitment whole (the key is still
    // found) and Poly1305 refuses the ciphertext.
    const start = e.ciphertext.byteOffset - e.bytes.byteOffset + 32
    fc.assert(
      fc.property(fc.nat((e.ciphertext.length - 32) * 8 - 1), (bit) => {
        const bytes = e.bytes.slice()
        bytes[start + (bit >> 3)]! ^= 1 << (bit & 7)
        const tampered = parseEntry(e.hash, bytes)
        const again = findEntryKey(tampered, bag)
        expect(again?.key).toBe(key)
        expect(() => decryptEntryWithKey(tampered, again!.key)).toThrow(
          expect.objectContaining({ code: ErrorCodes.DECRYPT_FAILED }),
        )
      }),
      { numRuns: 50 },
    )
  })

  it('carries no plaintext in the clear', () => {
    const marker = new TextEncoder().encode('TOP-SECRET-MARKER')
    const e = createEntry({
      kind: 'change',
      docId: asDocId('ab'.repeat(16)),
      origin: { tenant: asTenantId('t'), db: asDbName('d') },
      deps: [],
      keyId: asKeyId('default'),
      keyVersion: 1,
      key: generateKey(),
      payload: encodeChangePayload([marker]),
      author: generateSigningKeyPair(),
    })
    expect(Buffer.from(e.bytes).includes(Buffer.from(marker))).toBe(false)
  })

  it('reports a missing key as WEFT_KEY_NOT_FOUND, not as corruption', () => {
    const e = createEntry({
      kind: 'create',
      docId: asDocId('cd'.repeat(16)),
      origin: { tenant: asTenantId('t'), db: asDbName('d') },
      deps: [],
      keyId: asKeyId('default'),
      keyVersion: 1,
      key: generateKey(),
      payload: encodeChangePayload([]),
      author: generateSigningKeyPair(),
    })
    expect(() => decryptEntry(parseEntry(e.hash, e.bytes), KeyBag.create())).toThrow(
      expect.objectContaining({ code: ErrorCodes.KEY_NOT_FOUND }),
    )
  })

  it('refuses an unknown format version and an oversized entry before parsing', () => {
    const e = createEntry({
      kind: 'create',
      docId: asDocId('ef'.repeat(16)),
      origin: { tenant: asTenantId('t'), db: asDbName('d') },
      deps: [],
      keyId: asKeyId('default'),
      keyVersion: 1,
      key: generateKey(),
      payload: encodeChangePayload([]),
      author: generateSigningKeyPair(),
    })
    const v2 = e.bytes.slice()
    v2[2] = 2
    expect(() => parseEntry(e.hash, v2)).toThrow(expect.objectContaining({ code: ErrorCodes.UNSUPPORTED_VERSION }))
    expect(() => verifyEntry(e.hash, e.bytes, { maxEntryBytes: 10, maxDeps: 1 })).toThrow(
      expect.objectContaining({ code: ErrorCodes.ENTRY_TOO_LARGE }),
    )
  })

  it('decrypt in any order whatever the sizes of the headers around them', () => {
    const author = generateSigningKeyPair()
    const bag = KeyBag.create()
    const { key, version } = bag.current('default')
    fc.assert(
      fc.property(
        fc.array(fc.tuple(name(60), fc.integer({ min: 0, max: 5 })), { minLength: 2, maxLength: 8 }),
        (shapes) => {
          const made = shapes.map(([tenant, deps], i) =>
            createEntry({
              kind: 'change',
              docId: asDocId('ab'.repeat(16)),
              origin: { tenant: asTenantId(tenant), db: asDbName('orders') },
              deps: Array.from({ length: deps }, (_, d) => `${d}`.padStart(64, '0') as ChangeHash),
              keyId: asKeyId('default'),
              keyVersion: version,
              key,
              payload: encodeChangePayload([new Uint8Array([i])]),
              author,
              createdAt: i,
            }),
          )
          for (const i of [...made.keys()].reverse())
            expect(decodeChangePayload(decryptEntry(verifyEntry(made[i]!.hash, made[i]!.bytes), bag))).toEqual([
              new Uint8Array([i]),
            ])
        },
      ),
      { numRuns: 30 },
    )
  })
})
