import * as A from '@automerge/automerge'
import { toHex } from '../codec/index.ts'
import { randomBytes } from '../crypto/index.ts'
import { encodeChangePayload, type ParsedEntry } from '../entries/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import type { ChangeStore } from '../store/index.ts'
import { asDocId, asKeyId, type ChangeHash, type DbName, type DocId, type EntryKind, type Origin } from '../types.ts'
import type { Attachments } from './attachments/index.ts'
import { commitEntry } from './commitEntry.ts'
import type { DatabaseContext } from './DatabaseContext.ts'
import type { DatabaseSettings } from './DatabaseSettings.ts'
import type { DocDirectory } from './DocDirectory.ts'
import { DocState, type DocData } from './DocState.ts'
import { Document } from './Document.ts'
import { freshActor } from './freshActor.ts'
import type { Materialiser } from './Materialiser.ts'
import type { Residency } from './Residency.ts'
import { encodeSnapshotPayload } from './snapshotPayload.ts'

/** What a database lends its writer. */
export interface WriterParts {
  readonly ctx: DatabaseContext
  readonly store: ChangeStore
  readonly name: DbName
  readonly origin: Origin
  readonly settings: DatabaseSettings
  readonly docs: DocDirectory
  readonly materialiser: Materialiser
  readonly attachments: Attachments
  readonly residency: Residency
}

/**
 * A database's local writes: each turns a document's edit into one signed, encrypted entry,
 * appended durably before the document's state changes. The caller holds the database's lock.
 */
export class DocumentWriter {
  readonly #p: WriterParts

  constructor(parts: WriterParts) {
    this.#p = parts
  }

  /** A new document, optionally with initial data, under `keyId` (default: the database's). */
  async create(options: { keyId?: string; data?: DocData }): Promise<DocState> {
    this.#checkMayWrite()
    const keyId = options.keyId ? asKeyId(options.keyId) : this.#p.settings.keyId
    const id = asDocId(toHex(randomBytes(16)))
    let am = A.init<DocData>(freshActor())
    if (options.data) am = A.change(am, (d) => void Object.assign(d, options.data))
    const state = new DocState(id)
    state.origin = this.#p.origin
    state.keyId = keyId
    state.writeKey = keyId
    const entry = await this.#commit(state, 'create', encodeChangePayload(A.getAllChanges(am)))
    state.am = am
    this.#p.docs.set(state)
    this.#p.materialiser.noteLocal(state, entry)
    return state
  }

  /** Applies `fn` to the document as one entry; `changed` is false when it changed nothing (nothing is written). */
  async change<T extends DocData>(
    id: DocId,
    fn: (draft: Document<T>) => void,
  ): Promise<{ state: DocState; changed: boolean }> {
    const state = await this.writable(id)
    const before = state.am!
    let draft: Document<T> | undefined
    const after = A.change(before, (d) => fn((draft = new Document<T>(state, d as T))))
    if (after === before) return { state, changed: false }
    await this.#p.attachments.flushDraft(draft) // chunks that addAttachment sealed, before the change naming them
    const change = A.getLastLocalChange(after)!
    const entry = await this.#commit(state, 'change', encodeChangePayload([change]))
    state.am = after
    this.#p.materialiser.noteLocal(state, entry)
    if (++state.changesSinceSnapshot >= this.#p.settings.snapshotEvery) await this.snapshot(state)
    return { state, changed: true }
  }

  /** Writes a `delete` entry; the document's history stays in the store. */
  async delete(id: DocId): Promise<DocState> {
    const state = await this.writable(id)
    const entry = await this.#commit(state, 'delete', encodeChangePayload([]))
    state.deleted = true
    this.#p.materialiser.noteLocal(state, entry)
    return state
  }

  /** Writes an encrypted snapshot of a document; loading then starts from it. */
  async snapshot(state: DocState): Promise<ChangeHash> {
    const entry = await this.#commit(
      state,
      'snapshot',
      encodeSnapshotPayload(state.save(), state.applied, state.unappliedRefs()),
    )
    this.#p.materialiser.noteLocal(state, entry)
    state.changesSinceSnapshot = 0
    return entry.hash
  }

  /** The document, loaded, when this device may write to it and it is readable and not deleted. */
  async writable(id: DocId): Promise<DocState> {
    this.#checkMayWrite()
    const state = await this.#p.residency.ensureLoaded(id)
    if (!state?.am) throw new WeftError(ErrorCodes.DOCUMENT_NOT_FOUND, `no readable document ${id} in ${this.#p.name}`)
    if (state.deleted) throw new WeftError(ErrorCodes.DOCUMENT_DELETED, `document ${id} is deleted`)
    return state
  }

  /** Refuses a write before it touches any document state (an Automerge document is spent once changed). */
  #checkMayWrite(): void {
    if (this.#p.ctx.mayWrite?.() === false)
      throw new WeftError(
        ErrorCodes.READ_ONLY,
        `this device may not write to ${this.#p.name}: it is a reader or was removed`,
      )
  }

  /** Encrypts, signs and durably appends one entry of `state`'s document. */
  #commit(state: DocState, kind: EntryKind, payload: Uint8Array): Promise<ParsedEntry> {
    const { ctx, store, settings, origin } = this.#p
    return commitEntry(store, state, {
      kind,
      payload,
      keyBag: ctx.keyBag,
      signer: ctx.signer,
      keyId: state.writeKey ?? state.keyId ?? settings.keyId,
      origin: state.origin ?? origin,
    })
  }
}
