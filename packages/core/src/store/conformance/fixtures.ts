import { toHex } from '../../codec/index.ts'
import { generateKey, generateSigningKeyPair, randomBytes, type SigningKeyPair } from '../../crypto/index.ts'
import { createEntry, encodeChangePayload, hashEntryBytes, type ParsedEntry } from '../../entries/index.ts'
import { asDbName, asDocId, asKeyId, asTenantId, type ChangeHash, type DocId, type EntryKind } from '../../types.ts'

/** Makes valid signed entries for store tests; the payloads are random bytes, never read. */
export class EntryFactory {
  readonly signer: SigningKeyPair = generateSigningKeyPair()
  readonly key = generateKey()
  readonly docIds: DocId[]

  constructor(docCount = 3) {
    this.docIds = Array.from({ length: docCount }, () => asDocId(toHex(randomBytes(16))))
  }

  entry(docIndex = 0, deps: ChangeHash[] = [], payloadBytes = 32): ParsedEntry {
    return createEntry({
      kind: deps.length ? 'change' : 'create',
      docId: this.docIds[docIndex % this.docIds.length]!,
      origin: { tenant: asTenantId('conformance'), db: asDbName('db') },
      deps,
      keyId: asKeyId('default'),
      keyVersion: 1,
      key: this.key,
      payload: encodeChangePayload([randomBytes(payloadBytes)]),
      author: this.signer,
    })
  }

  /** An entry of the given kind (a `chunk` carries raw bytes and follows nothing). */
  ofKind(kind: EntryKind, docIndex = 0): ParsedEntry {
    return createEntry({
      kind,
      docId: this.docIds[docIndex % this.docIds.length]!,
      origin: { tenant: asTenantId('conformance'), db: asDbName('db') },
      deps: [],
      keyId: asKeyId('default'),
      keyVersion: 1,
      key: this.key,
      payload: kind === 'chunk' ? randomBytes(64) : encodeChangePayload([randomBytes(32)]),
      author: this.signer,
    })
  }

  /** `n` entries spread over the documents. */
  entries(n: number): ParsedEntry[] {
    return Array.from({ length: n }, (_, i) => this.entry(i))
  }

  /**
   * `n` entries spread over the documents, each following the previous entry of its document (one
   * chain per document, as a database writes them): a receiver verifies the chains' tips and hashes
   * the rest, so these are cheap to sync in bulk.
   */
  chains(n: number): ParsedEntry[] {
    const heads = new Map<number, ChangeHash>()
    return Array.from({ length: n }, (_, i) => {
      const doc = i % this.docIds.length
      const head = heads.get(doc)
      const e = this.entry(doc, head ? [head] : [])
      heads.set(doc, e.hash)
      return e
    })
  }
}

/** The entry as a plain envelope (what arrives over a wire: no in-process signing marker). */
export const envelope = (e: { hash: ChangeHash; bytes: Uint8Array }) => ({ hash: e.hash, bytes: e.bytes.slice() })

/**
 * The entry with its signature spoiled (one bit of it flipped) and its hash taken again over the
 * new bytes: well-formed, with a content address of its own, and a signature that does not verify.
 * What a dishonest author can publish and then vouch for with a good entry listing that hash.
 */
export function withBadSignature(e: { bytes: Uint8Array }): { hash: ChangeHash; bytes: Uint8Array } {
  const bytes = e.bytes.slice()
  bytes[bytes.length - 1]! ^= 0x01
  return { hash: hashEntryBytes(bytes), bytes }
}

/**
 * `n` bytes that never repeat a run (a xorshift stream from `seed`): data content-defined
 * chunking cuts everywhere and no two chunks of which are alike, for attachment tests.
 */
export function noiseBytes(n: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n)
  let x = seed >>> 0 || 1
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}
