import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { concatBytes } from '../src/codec/index.ts'
import {
  asDomainMessage,
  blake2b,
  blake2bOfParts,
  Domain,
  domainMessage,
  domainPrefixLength,
  generateKey,
  generateSigningKeyPair,
  ready,
  signDetached,
  signDetachedAsync,
  signDomainMessage,
  verifyDetached,
  writeDomainPrefix,
} from '../src/crypto/index.ts'
import { chunkTag, type ChunkWriteContext } from '../src/db/attachments/chunkEntry.ts'
import { writeChunks, type ChunkSink } from '../src/db/attachments/writeChunks.ts'
import { createEntry, createEntryAsync, decryptEntryWithKey, parseEntry, verifyEntry } from '../src/entries/index.ts'
import type { ParsedEntry } from '../src/entries/index.ts'
import { asDbName, asDocId, asKeyId, asTenantId, type ChangeHash } from '../src/types.ts'

beforeAll(ready)

describe('hashing and signing without joined copies', () => {
  it('BLAKE2b over parts equals BLAKE2b over their concatenation, keyed or not, at any split', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }),
        fc.integer({ min: 16, max: 64 }),
        fc.boolean(),
        (parts, outLen, keyed) => {
          const key = keyed ? generateKey() : undefined
          expect(blake2bOfParts(parts, outLen, key)).toEqual(blake2b(concatBytes(...parts), outLen, key))
        },
      ),
      { numRuns: 100 },
    )
  })

  it('a domain message built in place is the copied one, and signs to the same signature', () => {
    const author = generateSigningKeyPair()
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (message) => {
        const start = domainPrefixLength(Domain.entrySignature)
        const buffer = new Uint8Array(start + message.length)
        expect(writeDomainPrefix(Domain.entrySignature, buffer)).toBe(start)
        buffer.set(message, start)
        const inPlace = asDomainMessage(Domain.entrySignature, buffer)
        expect(inPlace).toEqual(domainMessage(Domain.entrySignature, message))
        const signature = signDomainMessage(inPlace, author.privateKey)
        expect(signature).toEqual(signDetached(Domain.entrySignature, message, author.privateKey))
        expect(verifyDetached(Domain.entrySignature, message, signature, author.publicKey)).toBe(true)
      }),
      { numRuns: 50 },
    )
  })

  it('refuses to treat bytes without the domain prefix as a domain message', () => {
    const message = domainMessage(Domain.entrySignature, new Uint8Array([1, 2, 3]))
    expect(() => asDomainMessage(Domain.presenceSignature, message)).toThrow(RangeError)
    expect(() => asDomainMessage(Domain.entrySignature, message.subarray(1))).toThrow(RangeError)
    expect(() => asDomainMessage(Domain.entrySignature, new Uint8Array(2))).toThrow(RangeError)
  })

  it('signs the same bytes on either path', async () => {
    const author = generateSigningKeyPair()
    const message = new Uint8Array(70_000).fill(9)
    expect(await signDetachedAsync(Domain.entrySignature, message, author)).toEqual(
      signDetached(Domain.entrySignature, message, author.privateKey),
    )
  })
})

describe('entries sealed in place', () => {
  const input = (payload: Uint8Array) => ({
    kind: 'change' as const,
    docId: asDocId('d'.repeat(32)),
    origin: { tenant: asTenantId('t'), db: asDbName('db') },
    deps: [] as ChangeHash[],
    keyId: asKeyId('k'),
    keyVersion: 1,
    key,
    payload,
    author,
  })
  let key: Uint8Array
  let author: ReturnType<typeof generateSigningKeyPair>
  beforeAll(() => {
    key = generateKey()
    author = generateSigningKeyPair()
  })

  it('parse to the same parts, verify, and open to their payload, at every payload size', async () => {
    for (const size of [0, 1, 127, 128, 16_383, 16_384, 70_000]) {
      const payload = new Uint8Array(size).map((_, i) => i * 7)
      for (const entry of [createEntry(input(payload)), await createEntryAsync(input(payload))]) {
        // Verified from a plain copy of its bytes: hash, structure and signature.
        const parsed = verifyEntry(entry.hash, entry.bytes.slice())
        for (const part of ['headerBytes', 'ciphertext', 'signature'] as const)
          expect(entry[part]).toEqual(parsed[part])
        expect(parseEntry(entry.hash, entry.bytes).header).toEqual(entry.header)
        expect(decryptEntryWithKey(parsed, key)).toEqual(payload)
      }
    }
  })
})

describe('writing chunks from the caller’s own bytes', () => {
  const context = (): ChunkWriteContext => ({
    docId: asDocId('c'.repeat(32)),
    origin: { tenant: asTenantId('t'), db: asDbName('db') },
    key: { keyId: asKeyId('k'), version: 1, key: generateKey() },
    author: generateSigningKeyPair(),
  })
  const collectingSink = (appended: ParsedEntry[]): ChunkSink => ({
    known: () => undefined,
    remember: () => undefined,
    named: () => undefined,
    holds: async () => false,
    append: async (entries) => void appended.push(...entries),
  })

  it('keeps what it carries between pieces, though the caller refills one Node Buffer for every piece', async () => {
    const ctx = context()
    const data = new Uint8Array(200_000).map((_, i) => (i * 2654435761) >>> 24)
    const piece = Buffer.alloc(7_000) // not a multiple of any chunk size: every chunk spans pieces
    async function* refilled(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < data.length; at += piece.length) {
        const part = data.subarray(at, at + piece.length)
        piece.set(part)
        yield piece.subarray(0, part.length)
      }
    }
    const appended: ParsedEntry[] = []
    const sizes = { min: 1024, avg: 4096, max: 16384 }
    const record = await writeChunks(ctx, refilled(), collectingSink(appended), { type: 'x', sizes })
    const byHash = new Map(appended.map((e) => [e.hash, decryptEntryWithKey(e, ctx.key.key)]))
    const read = concatBytes(...record.chunks.map((c) => byHash.get(c.hash)!))
    expect(record.size).toBe(data.length)
    expect(read).toEqual(data)
  })

  it('seals a chunk from a copy taken before the wait that checks a stored one, whatever the caller does meanwhile', async () => {
    const ctx = context()
    const data = new Uint8Array(3_000).map((_, i) => (i * 31) & 0xff)
    const original = data.slice()
    const appended: ParsedEntry[] = []
    const sink: ChunkSink = {
      known: () => undefined,
      remember: () => undefined,
      // A co-writer's record names a chunk by this tag: the writer waits to check it...
      named: () => 'ff'.repeat(32) as ChangeHash,
      holds: async () => {
        // ...and while it waits, the caller overwrites its buffer.
        data.fill(0)
        return false
      },
      append: async (entries) => void appended.push(...entries),
    }
    // Small chunks, so the first is cut from inside the caller's buffer, not from a carried copy.
    const sizes = { min: 256, avg: 512, max: 1024 }
    const record = await writeChunks(ctx, data, sink, { type: 'application/octet-stream', sizes })
    expect(record.chunks.length).toBeGreaterThan(2)
    const byHash = new Map(appended.map((e) => [e.hash, decryptEntryWithKey(e, ctx.key.key)]))
    // Every chunk holds the bytes its tag was taken from, so a later write of them may reuse it;
    // the first holds the caller's bytes as they were when it was cut.
    for (const chunk of record.chunks) expect(chunkTag(byHash.get(chunk.hash)!, ctx.key.key)).toEqual(chunk.tag)
    const first = record.chunks[0]!
    expect(byHash.get(first.hash)).toEqual(original.subarray(0, first.length))
  })
})
