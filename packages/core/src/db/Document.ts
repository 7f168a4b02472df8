import { ErrorCodes, WeftError } from '../errors.ts'
import type { ChangeHash, DocId, KeyId, Origin } from '../types.ts'
import {
  attachmentsOf,
  encodeAttachmentRecord,
  parseAttachmentRecord,
  recordFieldOf,
  recordsOf,
  type AttachmentInfo,
  type AttachmentOptions,
  type AttachmentRecord,
  type AttachmentUpload,
  type ByteRange,
} from './attachments/index.ts'
import type { DocData, DocState } from './DocState.ts'

/** Longest attachment name, in characters. */
const MAX_NAME_LENGTH = 1024

/**
 * A live handle on one document of a database. `getData()` always returns the current state;
 * outside `db.changeDoc` it is read-only.
 */
export class Document<T extends DocData = DocData> {
  readonly #state: DocState
  readonly #draft: T | undefined

  /** @internal */
  constructor(state: DocState, draft?: T) {
    this.#state = state
    this.#draft = draft
  }

  /** The document id (random, 128 bits, hex). */
  getId(): DocId {
    return this.#state.id
  }

  /**
   * The document's data. Inside a `changeDoc` callback this is the mutable draft; elsewhere the
   * current read-only Automerge state.
   */
  getData(): T {
    return (this.#draft ?? this.#state.current().am ?? {}) as T
  }

  isDeleted(): boolean {
    return this.#state.newest().deleted
  }

  /** Where the document was created: fixed for its life. */
  get origin(): Origin {
    return this.#state.origin!
  }

  /** The key its entries are encrypted under. */
  get keyId(): KeyId {
    return (this.#state.writeKey ?? this.#state.keyId)!
  }

  /** The entry hashes at the tip of its history. */
  getHeads(): ChangeHash[] {
    return [...this.#state.newest().heads].sort()
  }

  /** A JSON-safe copy of the data. */
  toJSON(): T {
    return JSON.parse(JSON.stringify(this.getData())) as T
  }

  /** The document's attachments: name, media type, size (see docs/api-guide.md, "Attachments"). */
  listAttachments(): AttachmentInfo[] {
    return [...recordsOf(this.getData()).keys()].sort().map((name) => this.getAttachmentInfo(name)!)
  }

  /** One attachment's name, media type and size; undefined when there is none of that name. */
  getAttachmentInfo(name: string): AttachmentInfo | undefined {
    const bytes = (this.getData() as Record<string, unknown>)[recordFieldOf(name)]
    if (bytes === undefined) return undefined
    const r = parseAttachmentRecord(bytes)
    return { name, type: r.type, size: r.size, chunks: r.chunks.length }
  }

  /**
   * Inside `changeDoc` only: records an attachment under `name` (replacing one of that name). From
   * bytes, it is split, encrypted and signed now, and its chunks are stored before the change that
   * records them. From an upload made by `db.writeAttachment` (a stream, a Blob, a large file), it
   * records chunks already stored.
   */
  addAttachment(
    name: string,
    data: Uint8Array | AttachmentUpload,
    options: Omit<AttachmentOptions, 'signal'> = {},
  ): void {
    const draft = this.#mutable('addAttachment', name)
    let record: AttachmentRecord
    if (data instanceof Uint8Array) record = attachmentsOf(this.#state).sealForDraft(this, this.#state, data, options)
    else if (data && data.docId === this.#state.id && data.record) record = data.record
    else
      throw new WeftError(
        ErrorCodes.INVALID_ARGUMENT,
        'addAttachment takes bytes, or an upload db.writeAttachment made for this document',
      )
    ;(draft as Record<string, unknown>)[recordFieldOf(name)] = encodeAttachmentRecord(record)
  }

  /** Inside `changeDoc` only: removes an attachment from the document (its chunks stay in the store's history). */
  removeAttachment(name: string): void {
    const draft = this.#mutable('removeAttachment', name)
    const root = draft as Record<string, unknown>
    if (root[recordFieldOf(name)] === undefined)
      throw new WeftError(ErrorCodes.ATTACHMENT_NOT_FOUND, `document ${this.getId()} has no attachment ${name}`)
    delete root[recordFieldOf(name)]
  }

  /** An attachment's bytes, read (and fetched, when synced lazily) chunk by chunk and checked. */
  async getAttachment(name: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const record = this.#record(name)
    const out = new Uint8Array(record.size)
    let at = 0
    for await (const piece of this.#read(record, {}, options.signal)) {
      out.set(piece, at)
      at += piece.length
    }
    return out
  }

  /**
   * The bytes `start` (inclusive) to `end` (exclusive) of an attachment, as pieces in order, in
   * bounded memory: only the chunks the range overlaps are read or fetched.
   */
  streamAttachment(name: string, options: ByteRange & { signal?: AbortSignal } = {}): AsyncGenerator<Uint8Array> {
    return this.#read(this.#record(name), options, options.signal)
  }

  #read(record: AttachmentRecord, range: ByteRange, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    return attachmentsOf(this.#state).read(this.#state, record, range, signal)
  }

  #record(name: string): AttachmentRecord {
    const bytes = (this.getData() as Record<string, unknown>)[recordFieldOf(name)]
    if (bytes === undefined)
      throw new WeftError(ErrorCodes.ATTACHMENT_NOT_FOUND, `document ${this.getId()} has no attachment ${name}`)
    return parseAttachmentRecord(bytes)
  }

  #mutable(method: string, name: string): T {
    if (!this.#draft) throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `${method} works inside db.changeDoc only`)
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH)
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `an attachment name is 1 to ${MAX_NAME_LENGTH} characters`)
    return this.#draft
  }
}
