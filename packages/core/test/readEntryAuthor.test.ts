import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, WeftError, asChangeHash, asDbName, asDocId, asKeyId, asTenantId } from '../src/index.ts'
import { generateKey, generateSigningKeyPair, ready } from '../src/crypto/index.ts'
import {
  createEntry,
  DEFAULT_ENTRY_LIMITS,
  encodeChangePayload,
  parseEntry,
  readEntryAuthor,
} from '../src/entries/index.ts'

beforeAll(ready)

// A server reads only the author of a pushed entry to decide whether its device may push; the
// store's full check comes after. The short read must agree with the full parse on every entry the
// parse accepts, and refuse anything it cannot walk with the entry error codes only.

const arbEntry = fc.record({
  tenant: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => /^[a-z0-9-]+$/.test(s)),
  db: fc.constantFrom('notes', 'orders', 'é-db'),
  keyId: fc.constantFrom('k', 'default', 'key-ü'),
  deps: fc.uniqueArray(fc.stringMatching(/^[0-9a-f]{64}$/), { maxLength: 5 }),
  keyVersion: fc.integer({ min: 1, max: 1_000_000 }),
  payload: fc.uint8Array({ maxLength: 300 }),
  docId: fc.stringMatching(/^[0-9a-f]{32}$/),
})

let author: ReturnType<typeof generateSigningKeyPair>
let key: Uint8Array
beforeAll(() => {
  author = generateSigningKeyPair()
  key = generateKey()
})

type Generated = typeof arbEntry extends fc.Arbitrary<infer T> ? T : never

function make(e: Generated) {
  return createEntry({
    kind: 'change',
    docId: asDocId(e.docId),
    origin: { tenant: asTenantId(e.tenant), db: asDbName(e.db) },
    deps: e.deps.map(asChangeHash),
    keyId: asKeyId(e.keyId),
    keyVersion: e.keyVersion,
    key,
    payload: encodeChangePayload([e.payload]),
    author,
  })
}

const ENTRY_CODES: string[] = [ErrorCodes.MALFORMED_ENTRY, ErrorCodes.ENTRY_TOO_LARGE, ErrorCodes.UNSUPPORTED_VERSION]

/** The author, or the code it was refused with (any other throw fails the test). */
function shortRead(bytes: Uint8Array): Uint8Array | string {
  try {
    return readEntryAuthor(bytes, DEFAULT_ENTRY_LIMITS)
  } catch (err) {
    expect(err).toBeInstanceOf(WeftError)
    expect(ENTRY_CODES).toContain((err as WeftError).code)
    return (err as WeftError).code
  }
}

describe('readEntryAuthor', () => {
  it('gives the author of every well-formed entry, the same bytes the full parse reads', () => {
    fc.assert(
      fc.property(arbEntry, (e) => {
        const entry = make(e)
        expect(shortRead(entry.bytes)).toEqual(author.publicKey)
        expect(parseEntry(entry.hash, entry.bytes).header.author).toEqual(author.publicKey)
      }),
      { numRuns: 60 },
    )
  })

  it('agrees with the full parse on damaged bytes: whatever the parse accepts, it reads the same author', () => {
    fc.assert(
      fc.property(
        arbEntry,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        fc.option(fc.nat()),
        (e, flips, cut) => {
          const entry = make(e)
          const bytes = entry.bytes.slice(0, cut === null ? undefined : cut % (entry.bytes.length + 1))
          for (const [at, value] of flips) if (bytes.length) bytes[at % bytes.length] = value
          const short = shortRead(bytes)
          let full: Uint8Array | undefined
          try {
            full = parseEntry(entry.hash, bytes).header.author
          } catch {
            full = undefined
          }
          if (full) expect(short).toEqual(full)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('refuses an entry over the size limit before reading it', () => {
    const entry = make({
      tenant: 'a',
      db: 'notes',
      keyId: 'k',
      deps: [],
      keyVersion: 1,
      payload: new Uint8Array(64),
      docId: '0'.repeat(32),
    })
    expect(shortRead(entry.bytes.subarray(0, 2))).toBe(ErrorCodes.MALFORMED_ENTRY)
    expect(() =>
      readEntryAuthor(entry.bytes, { ...DEFAULT_ENTRY_LIMITS, maxEntryBytes: entry.bytes.length - 1 }),
    ).toThrow(expect.objectContaining({ code: ErrorCodes.ENTRY_TOO_LARGE }))
  })
})
