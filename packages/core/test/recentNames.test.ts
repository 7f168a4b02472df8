import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, asDbName, asDocId, asKeyId, asTenantId } from '../src/index.ts'
import { RecentText, toHex } from '../src/codec/index.ts'
import { generateKey, generateSigningKeyPair, ready } from '../src/crypto/index.ts'
import { createEntry, encodeChangePayload, parseEntry } from '../src/entries/index.ts'

beforeAll(ready)

/** An entry with the given name fields (one author and key for all). */
function entryNamed(tenant: string, db: string, keyId: string) {
  keys ??= { author: generateSigningKeyPair(), key: generateKey() }
  return createEntry({
    kind: 'create',
    docId: asDocId('ab'.repeat(16)),
    origin: { tenant: asTenantId(tenant), db: asDbName(db) },
    deps: [],
    keyId: asKeyId(keyId),
    keyVersion: 1,
    key: keys.key,
    payload: encodeChangePayload([new Uint8Array([1])]),
    author: keys.author,
  })
}
let keys: { author: ReturnType<typeof generateSigningKeyPair>; key: Uint8Array } | undefined

// Entries of a batch mostly repeat their name fields, so the parser decodes and checks each run of
// equal bytes once. These tests hold it to what a fresh decode of every entry would give.
describe('repeated names in a run of entries', () => {
  it('gives every entry its own names, whatever the order of repeats', () => {
    const pool = ['acme', 'acmf', 'globex', 'é', 'ü', 'x']
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...pool), fc.constantFrom(...pool), fc.constantFrom(...pool)), {
          minLength: 1,
          maxLength: 30,
        }),
        (names) => {
          for (const [tenant, db, keyId] of names) {
            const e = entryNamed(tenant, db, keyId)
            const back = parseEntry(e.hash, e.bytes.slice())
            expect([back.header.origin.tenant, back.header.origin.db, back.header.keyId]).toEqual([tenant, db, keyId])
          }
        },
      ),
      { numRuns: 50 },
    )
  })

  it('refuses a bad name right after a good one of the same length', () => {
    const e = entryNamed('ab', 'db', 'default')
    expect(parseEntry(e.hash, e.bytes).header.origin.tenant).toBe('ab')
    // magic (2), version, kind, document id (16), then the tenant's length and bytes.
    expect(e.bytes[20]).toBe(2)
    for (const bad of [
      [0x01, 0x62],
      [0xff, 0x62],
      [0xef, 0xbb],
    ]) {
      const bytes = e.bytes.slice()
      bytes.set(bad, 21)
      expect(() => parseEntry(e.hash, bytes)).toThrow(expect.objectContaining({ code: ErrorCodes.MALFORMED_ENTRY }))
      expect(parseEntry(e.hash, e.bytes).header.origin.tenant).toBe('ab') // and the good one still reads
    }
  })

  it('answers for the bytes it is given now, not for a buffer the caller changed (a Node Buffer too)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 6 }), { minLength: 1, maxLength: 40 }),
        fc.boolean(),
        (inputs, nodeBuffer) => {
          const recent = new RecentText()
          // A Buffer's slice() is a view of it, where a Uint8Array's is a copy.
          const buf = nodeBuffer ? Buffer.alloc(6) : new Uint8Array(6)
          for (const input of inputs) {
            const view = buf.subarray(0, input.length)
            view.set(input) // the same buffer, rewritten each time
            expect(recent.of(view, toHex)).toBe(toHex(input))
          }
        },
      ),
    )
  })
})
