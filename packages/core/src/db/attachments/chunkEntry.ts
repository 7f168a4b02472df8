import { concatBytes, toHex, utf8 } from '../../codec/index.ts'
import { blake2bOfParts, Domain, type SigningKeyPair } from '../../crypto/index.ts'
import { createEntry, createEntryAsync, type CreateEntryInput, type ParsedEntry } from '../../entries/index.ts'
import type { DocId, KeyId, Origin } from '../../types.ts'
import { TAG_BYTES } from './attachmentRecord.ts'

/** The key a document's new entries are written under: its name, version and bytes. */
export interface WriteKey {
  readonly keyId: KeyId
  readonly version: number
  readonly key: Uint8Array
}

/** Who writes a chunk, for which document, under which key. */
export interface ChunkWriteContext {
  readonly docId: DocId
  readonly origin: Origin
  readonly key: WriteKey
  readonly author: SigningKeyPair
}

const tagPrefix = concatBytes(utf8(Domain.attachmentChunkTag), new Uint8Array([0]))

/**
 * The keyed tag of a chunk's plaintext: BLAKE2b-128 under the document's key, domain-separated.
 * It never leaves the encrypted document; without the key it says nothing about the plaintext.
 */
export function chunkTag(plaintext: Uint8Array, key: Uint8Array): Uint8Array {
  return blake2bOfParts([tagPrefix, plaintext], TAG_BYTES, key)
}

/** The dedup key of a tag within one document. */
export function tagKey(docId: DocId, tag: Uint8Array): string {
  return `${docId}/${toHex(tag)}`
}

/**
 * Makes a `chunk` entry: the plaintext encrypted under the document's key with a fresh nonce,
 * signed, named by the document it belongs to (so filtered sync and grants carry it with that
 * document) and following nothing (it is not part of the document's change graph). Its address
 * is the hash of these encrypted bytes, so nothing about the plaintext can be read from it.
 */
export function createChunkEntry(ctx: ChunkWriteContext, plaintext: Uint8Array): ParsedEntry {
  return createEntry(chunkEntryInput(ctx, plaintext))
}

/** {@link createChunkEntry}, signed by `createEntryAsync` (off this thread where the platform allows). */
export function createChunkEntryAsync(ctx: ChunkWriteContext, plaintext: Uint8Array): Promise<ParsedEntry> {
  return createEntryAsync(chunkEntryInput(ctx, plaintext))
}

function chunkEntryInput(ctx: ChunkWriteContext, plaintext: Uint8Array): CreateEntryInput {
  return {
    kind: 'chunk',
    docId: ctx.docId,
    origin: ctx.origin,
    deps: [],
    keyId: ctx.key.keyId,
    keyVersion: ctx.key.version,
    key: ctx.key.key,
    payload: plaintext,
    author: ctx.author,
  }
}
