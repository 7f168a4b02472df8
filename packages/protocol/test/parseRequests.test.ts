import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, generateSigningKeyPair, packValue, ready, unpackValue, type Cursor } from '@weft/core/backend'
import {
  createRegistration,
  cursorField,
  DEFAULT_LIMITS,
  parseClientSocketMessage,
  parseDbRequest,
  parseMailRequest,
  parseRegistration,
  parseTenantRequest,
} from '../src/index.ts'

beforeAll(ready)

/** Through the wire and back, as the server sees it. */
const wire = <T>(v: T): unknown => unpackValue(packValue(v), 1 << 24)

const cursor: fc.Arbitrary<Cursor> = fc.record(
  { epoch: fc.string({ maxLength: 128 }), seq: fc.nat(), at: fc.stringMatching(/^[0-9a-f]{0,64}$/) },
  { requiredKeys: ['epoch', 'seq'] },
)

describe('request parsers', () => {
  it('keep every field of a cursor, the position check among them', () => {
    fc.assert(
      fc.property(cursor, (c) => {
        expect(cursorField(wire(c))).toEqual(c)
        expect(parseDbRequest('scan', wire({ since: c, limit: 5 }), DEFAULT_LIMITS)).toEqual({
          op: 'scan',
          since: c,
          limit: 5,
        })
        expect(parseClientSocketMessage(wire({ type: 'subscribe', db: 'notes', since: c }))).toEqual({
          type: 'subscribe',
          db: 'notes',
          since: c,
        })
      }),
    )
    for (const bad of [
      { epoch: 'e', seq: -1 },
      { epoch: 1, seq: 0 },
      { epoch: 'e', seq: 0, at: 'XYZ' },
      { epoch: 'e', seq: 0, at: 'a'.repeat(65) },
      'e',
      [1],
    ]) {
      expect(() => cursorField(wire(bad)), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: ErrorCodes.PROTOCOL }),
      )
    }
  })

  it('check ids by the one rule of their kind', () => {
    expect(() => parseDbRequest('doc-hashes', { docId: 'A'.repeat(32) }, DEFAULT_LIMITS)).toThrow(
      expect.objectContaining({ code: ErrorCodes.PROTOCOL }),
    )
    expect(parseDbRequest('doc-hashes', { docId: 'a'.repeat(32) }, DEFAULT_LIMITS)).toEqual({
      op: 'doc-hashes',
      docId: 'a'.repeat(32),
    })
    for (const db of ['', 'a/b', 'x\u0001', 'é'.repeat(65)]) {
      expect(() => parseClientSocketMessage({ type: 'unsubscribe', db }), db).toThrow(
        expect.objectContaining({ code: ErrorCodes.PROTOCOL }),
      )
    }
    expect(() => parseDbRequest('has', { hashes: new Uint8Array(33) }, DEFAULT_LIMITS)).toThrow(
      expect.objectContaining({ code: ErrorCodes.PROTOCOL }),
    )
    expect(() =>
      parseDbRequest('has', { hashes: new Uint8Array(32 * (DEFAULT_LIMITS.maxHashesPerRequest + 1)) }, DEFAULT_LIMITS),
    ).toThrow(expect.objectContaining({ code: ErrorCodes.TOO_MANY_ENTRIES }))
  })

  it('report each malformed pushed entry on its own, and keep the rest', () => {
    const hash = 'ab'.repeat(32)
    const r = parseDbRequest(
      'push',
      { entries: [{ hash, bytes: new Uint8Array(3) }, { hash: 'nope', bytes: new Uint8Array(3) }, null, { hash }] },
      DEFAULT_LIMITS,
    )
    expect(r).toEqual({
      op: 'push',
      entries: [
        { hash, bytes: new Uint8Array(3) },
        { hash: 'nope', problem: expect.any(String) },
        { hash: '', problem: expect.any(String) },
        { hash, problem: expect.any(String) },
      ],
    })
    expect(() =>
      parseDbRequest(
        'push',
        { entries: new Array(DEFAULT_LIMITS.maxEntriesPerRequest + 1).fill(null) },
        DEFAULT_LIMITS,
      ),
    ).toThrow(expect.objectContaining({ code: ErrorCodes.TOO_MANY_ENTRIES }))
  })

  it('take a registration as signed, naming its server, and refuse malformed ones', () => {
    const admin = generateSigningKeyPair()
    const r = createRegistration(
      { server: 'srv', tenant: 'acme', seq: 2, add: [generateSigningKeyPair().publicKey], until: 5 },
      admin,
    )
    expect(parseRegistration(wire(r))).toEqual(r)
    expect(parseTenantRequest('register', wire({ registration: r, token: 't' }))).toEqual({
      op: 'register',
      registration: r,
      token: 't',
    })
    for (const bad of [
      { ...r, server: 1 },
      { ...r, tenant: 'a/b' },
      { ...r, add: [new Uint8Array(31)] },
      { ...r, signature: new Uint8Array(3) },
      { ...r, v: 2 },
    ]) {
      expect(() => parseRegistration(wire(bad))).toThrow(expect.objectContaining({ code: ErrorCodes.PROTOCOL }))
    }
  })

  it('check mailbox bodies', () => {
    expect(parseMailRequest('list', {})).toEqual({ op: 'list', after: 0, limit: 100 })
    expect(parseMailRequest('put', { body: new Uint8Array(2), topic: 'keys:x', set: 3 })).toEqual({
      op: 'put',
      body: new Uint8Array(2),
      topic: 'keys:x',
      set: 3,
    })
    expect(() => parseMailRequest('put', { body: new Uint8Array(64 * 1024 + 1) })).toThrow(
      expect.objectContaining({ code: ErrorCodes.PAYLOAD_TOO_LARGE }),
    )
    expect(() => parseMailRequest('put', { body: new Uint8Array(2), set: 3 })).toThrow(
      expect.objectContaining({ code: ErrorCodes.PROTOCOL }),
    )
    expect(() => parseMailRequest('delete', { seqs: [0] })).toThrow(
      expect.objectContaining({ code: ErrorCodes.PROTOCOL }),
    )
  })
})
