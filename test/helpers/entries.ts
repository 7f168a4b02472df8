import { hashEntryBytes, parseEntry, type ChangeHash, type ChangeStore, type EntryEnvelope } from '@weft/core/backend'

/** A byte range `[start, end)` of an encoded entry. */
export interface Span {
  readonly start: number
  readonly end: number
}

/** Where each field of an encoded entry sits (format version 1, see entries/header.ts). */
export interface EntryLayout {
  readonly magic: Span
  readonly version: Span
  readonly kind: Span
  readonly docId: Span
  readonly originTenant: Span
  readonly originDb: Span
  readonly deps: Span
  readonly keyId: Span
  readonly keyVersion: Span
  readonly author: Span
  readonly createdAt: Span
  readonly nonce: Span
  /** Length prefix of the ciphertext. */
  readonly ciphertextLength: Span
  readonly ciphertext: Span
  readonly signature: Span
}

const NONCE_BYTES = 24
const SIGNATURE_BYTES = 64

/**
 * Walks an entry's bytes and returns each field's span; the spans tile the entry. A string field's
 * span includes its length prefix (its last byte is the string's last byte). Checked against
 * `parseEntry`, so a change to the format fails loudly here.
 */
export function entryLayout(bytes: Uint8Array): EntryLayout {
  let pos = 0
  const varint = (): number => {
    let value = 0
    let scale = 1
    for (;;) {
      const b = bytes[pos++]!
      value += (b & 0x7f) * scale
      if ((b & 0x80) === 0) return value
      scale *= 0x80
    }
  }
  const fixed = (n: number): Span => ({ start: pos, end: (pos += n) })
  const prefixed = (): Span => {
    const start = pos
    const length = varint()
    pos += length
    return { start, end: pos }
  }
  const varintSpan = (): Span => {
    const start = pos
    varint()
    return { start, end: pos }
  }
  const magic = fixed(2)
  const version = fixed(1)
  const kind = fixed(1)
  const docId = fixed(16)
  const originTenant = prefixed()
  const originDb = prefixed()
  const depsStart = pos
  const depCount = varint()
  pos += depCount * 32
  const deps = { start: depsStart, end: pos }
  const keyId = prefixed()
  const keyVersion = varintSpan()
  const author = fixed(32)
  const createdAt = varintSpan()
  const nonce = fixed(NONCE_BYTES)
  const lengthStart = pos
  const ctLength = varint()
  const ciphertextLength = { start: lengthStart, end: pos }
  const ciphertext = fixed(ctLength)
  const signature = fixed(SIGNATURE_BYTES)
  const parsed = parseEntry(hashEntryBytes(bytes), bytes)
  if (
    signature.end !== bytes.length ||
    parsed.headerBytes.length !== nonce.end ||
    parsed.ciphertext.length !== ctLength
  ) {
    throw new Error('entryLayout disagrees with parseEntry: the entry format changed')
  }
  return {
    magic,
    version,
    kind,
    docId,
    originTenant,
    originDb,
    deps,
    keyId,
    keyVersion,
    author,
    createdAt,
    nonce,
    ciphertextLength,
    ciphertext,
    signature,
  }
}

/** The field an offset falls in. */
export function fieldAt(layout: EntryLayout, offset: number): keyof EntryLayout {
  for (const [name, span] of Object.entries(layout) as [keyof EntryLayout, Span][]) {
    if (offset >= span.start && offset < span.end) return name
  }
  throw new Error(`offset ${offset} is outside the entry`)
}

/** A copy of `bytes` with one bit flipped. */
export function flipBit(bytes: Uint8Array, offset: number, bit: number): Uint8Array {
  const out = bytes.slice()
  out[offset] = out[offset]! ^ (1 << bit)
  return out
}

/** A copy of `bytes` with `replacement` written at `offset`. */
export function overwrite(bytes: Uint8Array, offset: number, replacement: Uint8Array): Uint8Array {
  const out = bytes.slice()
  out.set(replacement, offset)
  return out
}

/** An envelope for (possibly tampered) bytes under their true content address. */
export function rehashed(bytes: Uint8Array): EntryEnvelope {
  return { hash: hashEntryBytes(bytes), bytes }
}

/** An envelope for bytes under a hash of our choosing (what a lying relay sends). */
export function underHash(hash: ChangeHash, bytes: Uint8Array): EntryEnvelope {
  return { hash, bytes }
}

/** Every entry of a store as fresh plain envelopes (own byte copies, as if received off a wire). */
export async function envelopesOf(store: ChangeStore, hashes?: readonly ChangeHash[]): Promise<EntryEnvelope[]> {
  const list = await store.getChanges(hashes ?? (await store.getAllChangeHashes()))
  return list.map((e) => ({ hash: e.hash, bytes: e.bytes.slice() }))
}

/** True when `needle` occurs in `haystack`. */
export function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).includes(Buffer.from(needle))
}
