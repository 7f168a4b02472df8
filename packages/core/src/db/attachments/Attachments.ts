import type { SigningKeyPair } from '../../crypto/index.ts'
import { bytesEqual } from '../../codec/index.ts'
import { decryptEntry, parseEntry, type ParsedEntry } from '../../entries/index.ts'
import { ErrorCodes, WeftError } from '../../errors.ts'
import type { KeyBag } from '../../keys/index.ts'
import type { ChangeStore, CopyOptions, CopyResult } from '../../store/index.ts'
import type { ChangeHash, DocId, KeyId, Origin } from '../../types.ts'
import type { DocState } from '../DocState.ts'
import { DocDirectory } from '../DocDirectory.ts'
import type { AttachmentData } from './AttachmentSource.ts'
import { parseAttachmentRecord, type AttachmentRecord } from './attachmentRecord.ts'
import { tagKey, type ChunkWriteContext } from './chunkEntry.ts'
import type { ChunkSizes } from './fastcdc.ts'
import { pullWithoutChunks } from './pullWithoutChunks.ts'
import { readChunks, type ByteRange } from './readChunks.ts'
import { sealChunks, storeSink, writeChunks, type ChunkSink } from './writeChunks.ts'

/**
 * Each attachment's record is kept in a root field of its document: this prefix, then its name. One
 * field per attachment (not one map of them all), so two writers adding different attachments at
 * once both keep theirs: concurrent creations of one shared map would leave only one of them.
 */
export const ATTACHMENT_FIELD_PREFIX = 'weft:attachment/'

/** The root field holding the record of attachment `name`. */
export function recordFieldOf(name: string): string {
  return ATTACHMENT_FIELD_PREFIX + name
}

/** Whether a database pulls attachment chunks with the documents, or fetches them on first read. */
export type AttachmentSync = 'eager' | 'lazy'

/** Options of writing an attachment. */
export interface AttachmentOptions {
  /** Media type recorded with it. Default `application/octet-stream`. */
  readonly type?: string
  /** Content-defined chunk sizes (see docs/api-guide.md); the defaults suit most files. */
  readonly chunkSizes?: ChunkSizes
  readonly signal?: AbortSignal
}

/** Chunks written for a document and not recorded yet: pass it to `addAttachment` in `changeDoc`. */
export interface AttachmentUpload {
  readonly docId: DocId
  readonly record: AttachmentRecord
}

/** What one attachment of a document is, without its bytes. */
export interface AttachmentInfo {
  readonly name: string
  readonly type: string
  readonly size: number
  readonly chunks: number
}

/** What the attachments of a database need from it. */
export interface AttachmentsContext {
  readonly store: ChangeStore
  readonly keyBag: KeyBag
  readonly signer: SigningKeyPair
  /** The database's origin and default key, for documents that name neither yet. */
  readonly origin: Origin
  readonly defaultKeyId: () => KeyId
  /** Tells the database which entries about to be appended are chunks (nothing to materialise). */
  readonly noteChunks: (hashes: readonly ChangeHash[]) => void
}

/** Most chunk tags a database remembers between writes (older ones are found again from records). */
const MAX_REMEMBERED = 100_000

/** Which database's attachments a document state belongs to. */
const owners = new WeakMap<DocState, Attachments>()

/** The attachments of the database `state` belongs to. */
export function attachmentsOf(state: DocState): Attachments {
  const owner = owners.get(state)
  if (!owner) throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `document ${state.id} belongs to no open database`)
  return owner
}

/**
 * A database's document directory that ties each document it holds to the database's
 * attachments, so a `Document` handle can read its attachments without the database handing them
 * to every handle.
 */
export class AttachmentDocs extends DocDirectory {
  readonly #owner: () => Attachments

  constructor(owner: () => Attachments) {
    super()
    this.#owner = owner
  }

  override set(state: DocState, stored = false): void {
    owners.set(state, this.#owner())
    super.set(state, stored)
  }
}

/** Chunk entries `addAttachment(name, bytes)` made inside a `changeDoc` callback, by draft. */
const pendingByDraft = new WeakMap<object, ParsedEntry[]>()

/**
 * The attachments of one database: writes chunks, remembers which it stored (by keyed tag, per
 * document) so the same bytes are stored once, reads them back from the store or from the
 * sources a lazily synced database fetches them from.
 */
export class Attachments {
  readonly #ctx: AttachmentsContext
  readonly #sources = new Set<ChangeStore>()
  readonly #tags = new Map<string, ChangeHash>()

  constructor(ctx: AttachmentsContext) {
    this.#ctx = ctx
  }

  /** Adds a store to fetch chunks this database lacks from (a lazy pull adds its source). */
  addSource(store: ChangeStore): void {
    if (store !== this.#ctx.store) this.#sources.add(store)
  }

  /** Stops fetching from `store`. */
  removeSource(store: ChangeStore): void {
    this.#sources.delete(store)
  }

  /** Encrypts and stores `data` as chunks of `state`'s document, in bounded memory. */
  async write(state: DocState, data: AttachmentData, options: AttachmentOptions = {}): Promise<AttachmentUpload> {
    const ctx = this.#writeContext(state)
    const known = this.#known(state)
    const record = await writeChunks(ctx, data, storeSink(this.#ctx.store, known, this.#ctx.noteChunks), {
      type: checkType(options.type),
      ...(options.chunkSizes ? { sizes: options.chunkSizes } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    })
    return { docId: state.id, record }
  }

  /**
   * Seals `bytes` into chunk entries now (a `changeDoc` callback cannot wait) and keeps them with
   * the draft; {@link flushDraft} appends them before the change that records them.
   */
  sealForDraft(draft: object, state: DocState, bytes: Uint8Array, options: AttachmentOptions): AttachmentRecord {
    const known = this.#known(state)
    const sealed = sealChunks(this.#writeContext(state), bytes, known, {
      type: checkType(options.type),
      ...(options.chunkSizes ? { sizes: options.chunkSizes } : {}),
    })
    const list = pendingByDraft.get(draft) ?? []
    list.push(...sealed.entries)
    pendingByDraft.set(draft, list)
    sealed.entries.forEach((e, i) => known.remember(sealed.tags[i]!, e.hash))
    return sealed.record
  }

  /** Appends the chunks a `changeDoc` draft sealed; throws the first refusal. */
  async flushDraft(draft: object | undefined): Promise<void> {
    const entries = draft ? pendingByDraft.get(draft) : undefined
    if (!entries?.length) return
    pendingByDraft.delete(draft!)
    this.#ctx.noteChunks(entries.map((e) => e.hash))
    const result = await this.#ctx.store.appendMany(entries)
    if (result.rejected.length) throw result.rejected[0]!.error
  }

  /** Reads a range of an attachment's plaintext, chunk by chunk. */
  read(state: DocState, record: AttachmentRecord, range: ByteRange, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    return readChunks(
      { docId: state.id, store: this.#ctx.store, keyBag: this.#ctx.keyBag, sources: () => [...this.#sources] },
      record,
      range,
      signal,
    )
  }

  /** Pulls everything but chunks from `source`, and fetches chunks from it when they are read. */
  pullLazily(source: ChangeStore, options: Omit<CopyOptions, 'batchSize'>): Promise<CopyResult> {
    this.addSource(source)
    return pullWithoutChunks(source, this.#ctx.store, options)
  }

  #writeContext(state: DocState): ChunkWriteContext {
    const keyId = state.writeKey ?? state.keyId ?? this.#ctx.defaultKeyId()
    const key = this.#ctx.keyBag.current(keyId)
    return {
      docId: state.id,
      origin: state.origin ?? this.#ctx.origin,
      key: { keyId, version: key.version, key: key.key },
      author: this.#ctx.signer,
    }
  }

  /**
   * Chunks of `state`'s document already stored, by tag: those written here (trusted as they are),
   * and those its records name, reused only once the chunk, held locally, is found to hold the very
   * same bytes (a record is a co-writer's claim; a wrong tag must not swap another's content in).
   */
  #known(state: DocState): Pick<ChunkSink, 'known' | 'remember' | 'named' | 'holds'> {
    let fromRecords: Map<string, ChangeHash> | undefined
    const key = (tag: Uint8Array): string => tagKey(state.id, tag)
    return {
      known: (tag) => this.#tags.get(key(tag)),
      remember: (tag, hash) => {
        if (this.#tags.size >= MAX_REMEMBERED) this.#tags.clear()
        this.#tags.set(key(tag), hash)
      },
      named: (tag) => (fromRecords ??= recordTags(state)).get(key(tag)),
      holds: async (hash, plaintext) => {
        const [held] = await this.#ctx.store.getChanges([hash])
        if (!held) return false
        try {
          return bytesEqual(decryptEntry(parseEntry(hash, held.bytes), this.#ctx.keyBag), plaintext)
        } catch {
          return false
        }
      },
    }
  }
}

/** Tag to chunk, from every attachment record `state`'s document holds now. */
function recordTags(state: DocState): Map<string, ChangeHash> {
  const out = new Map<string, ChangeHash>()
  for (const bytes of recordsOf(state.am).values()) {
    try {
      for (const c of parseAttachmentRecord(bytes).chunks) out.set(tagKey(state.id, c.tag), c.hash)
    } catch {
      // a malformed record names nothing to reuse
    }
  }
  return out
}

/** A document's attachment records (still encoded), by name. */
export function recordsOf(data: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>()
  if (!data || typeof data !== 'object') return out
  for (const [key, value] of Object.entries(data as Record<string, unknown>))
    if (key.startsWith(ATTACHMENT_FIELD_PREFIX)) out.set(key.slice(ATTACHMENT_FIELD_PREFIX.length), value)
  return out
}

function checkType(type: string | undefined): string {
  const t = type ?? 'application/octet-stream'
  if (typeof t !== 'string' || t.length === 0 || new TextEncoder().encode(t).length > 255)
    throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'an attachment type is a non-empty string of at most 255 bytes')
  return t
}
