import type { ChangeHash, DocId, KeyId, Origin } from '../types.ts'
import type { DocData, DocState } from './DocState.ts'

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
}
