import { ByteWriter, concatBytes, utf8 } from '../codec/index.ts'
import {
  asDomainMessage,
  Domain,
  domainPrefixLength,
  generateNonce,
  sealCommitted,
  signDomainMessage,
  signDomainMessageAsync,
  writeDomainPrefix,
  type DomainMessage,
  type SigningKeyPair,
} from '../crypto/index.ts'
import type { ChangeHash, DocId, EntryKind, KeyId, Origin } from '../types.ts'
import { ENTRY_VERSION, writeHeader, type EntryHeader } from './header.ts'
import type { EntryEnvelope, ParsedEntry } from './ParsedEntry.ts'
import { SIGNATURE_BYTES } from './parseEntry.ts'
import { hashEntryBytes } from './verifyEntry.ts'

/** What a writer supplies to make an entry. */
export interface CreateEntryInput {
  readonly kind: EntryKind
  readonly docId: DocId
  readonly origin: Origin
  readonly deps: readonly ChangeHash[]
  readonly keyId: KeyId
  readonly keyVersion: number
  readonly key: Uint8Array
  readonly payload: Uint8Array
  readonly author: SigningKeyPair
  readonly createdAt?: number
}

/**
 * Entries signed by this process. A store may skip re-verifying their signature (it proves
 * nothing new); the set holds the objects createEntry returned, so it cannot be forged from bytes.
 */
const locallySigned = new WeakSet<object>()

/**
 * True for an entry object returned by {@link createEntry} in this process, or one marked by
 * {@link markSignatureVerified}. A store still checks its hash and structure; only the signature
 * check is skipped.
 */
export function isLocallySigned(entry: object): boolean {
  return locallySigned.has(entry)
}

/**
 * Marks an envelope whose bytes this process has just verified in full (hash and signature), so a
 * store it is appended to next need not check the signature again. The envelope is frozen, so its
 * `hash` and `bytes` cannot be swapped for others; bytes changed in place fail the store's hash
 * check, which still runs.
 */
export function markSignatureVerified<T extends EntryEnvelope>(envelope: T): Readonly<T> {
  Object.freeze(envelope)
  locallySigned.add(envelope)
  return envelope
}

const adPrefix = concatBytes(utf8(Domain.entryAssociatedData), new Uint8Array([0]))

let adScratch = new Uint8Array(0)

/**
 * The AEAD associated data (a domain string, then the canonical header bytes), written into one
 * buffer that every call reuses: valid only until the next call. For the AEAD calls of this
 * module and `decryptEntry.ts`, which libsodium copies before it returns; a fresh array per entry
 * was a measurable share of a sync's allocations.
 */
export function passingAssociatedData(headerBytes: Uint8Array): Uint8Array {
  const length = adPrefix.length + headerBytes.length
  if (adScratch.length < length) {
    adScratch = new Uint8Array(Math.max(length, 2 * adScratch.length, 512))
    adScratch.set(adPrefix)
  }
  adScratch.set(headerBytes, adPrefix.length)
  return adScratch.subarray(0, length)
}

/**
 * Makes a change entry: header, committed XChaCha20-Poly1305 of the payload with the header as
 * associated data, then an Ed25519 signature over header and ciphertext. Returns it parsed.
 */
export function createEntry(input: CreateEntryInput): ParsedEntry {
  const sealed = sealEntry(input)
  return signedEntry(sealed, signDomainMessage(sealed.signed, input.author.privateKey))
}

/**
 * {@link createEntry} with the signature made by {@link signDomainMessageAsync}: the same entry (Ed25519
 * is deterministic), and for large payloads signed off the calling thread where the platform
 * allows. For many large entries at once (attachment chunks), whose signing dominates their cost.
 */
export async function createEntryAsync(input: CreateEntryInput): Promise<ParsedEntry> {
  const sealed = sealEntry(input)
  return signedEntry(sealed, await signDomainMessageAsync(sealed.signed, input.author))
}

/** An entry's header and ciphertext, ready to sign, in the buffer its signature will end. */
interface SealedEntry {
  readonly header: EntryHeader
  readonly headerLength: number
  readonly ciphertextLength: number
  /** The signature's domain prefix, the entry's bytes, then room for the signature. */
  readonly buffer: Uint8Array
  /** Where the entry's bytes start in `buffer` (after the domain prefix). */
  readonly start: number
  /** The domain prefix, header and ciphertext: what the signature covers. */
  readonly signed: DomainMessage
}

/**
 * Header, then the committed ciphertext, written once into one buffer that starts with the
 * signature's domain prefix and ends with room for the signature: the domain message is signed
 * in place and the entry is a view of the rest. A large payload (an attachment chunk) is copied
 * once here, not once per step.
 */
function sealEntry(input: CreateEntryInput): SealedEntry {
  const header: EntryHeader = {
    v: ENTRY_VERSION,
    kind: input.kind,
    docId: input.docId,
    origin: input.origin,
    deps: [...new Set(input.deps)].sort() as ChangeHash[],
    keyId: input.keyId,
    keyVersion: input.keyVersion,
    author: input.author.publicKey,
    createdAt: Math.max(0, Math.floor(input.createdAt ?? Date.now())),
    nonce: generateNonce(),
  }
  const w = new ByteWriter(256)
  writeHeader(w, header)
  const headerBytes = w.finish()
  const { commitment, sealed } = sealCommitted(
    input.payload,
    input.key,
    header.nonce,
    passingAssociatedData(headerBytes),
  )
  const ciphertextLength = commitment.length + sealed.length
  const lengthField = new ByteWriter(10).varint(ciphertextLength).finish()
  const start = domainPrefixLength(Domain.entrySignature)
  const buffer = new Uint8Array(start + headerBytes.length + lengthField.length + ciphertextLength + SIGNATURE_BYTES)
  let at = writeDomainPrefix(Domain.entrySignature, buffer)
  for (const part of [headerBytes, lengthField, commitment, sealed]) {
    buffer.set(part, at)
    at += part.length
  }
  return {
    header,
    headerLength: headerBytes.length,
    ciphertextLength,
    buffer,
    start,
    signed: asDomainMessage(Domain.entrySignature, buffer.subarray(0, at)),
  }
}

function signedEntry(sealed: SealedEntry, signature: Uint8Array): ParsedEntry {
  const { buffer, start, signed, headerLength, ciphertextLength } = sealed
  if (signature.length !== SIGNATURE_BYTES) throw new RangeError('an Ed25519 signature is 64 bytes')
  buffer.set(signature, signed.length)
  const bytes = buffer.subarray(start)
  const unsignedLength = signed.length - start
  const entry: ParsedEntry = {
    hash: hashEntryBytes(bytes),
    bytes,
    header: sealed.header,
    headerBytes: bytes.subarray(0, headerLength),
    ciphertext: bytes.subarray(unsignedLength - ciphertextLength, unsignedLength),
    signature: bytes.subarray(unsignedLength),
  }
  locallySigned.add(entry)
  return entry
}
