import { parsedOnCopy, type ParsedEntry } from '../entries/index.ts'
import type { ChangeHash, DocId, EntryKind } from '../types.ts'
import type { VerifiedEntry } from './BaseChangeStore.ts'

/**
 * An entry a store verified and copied, as its backend and its append listeners get it. The check
 * parsed the store's copy; when the bytes to store are a second copy (the batch dropped entries
 * whose bytes shared the first one's buffer), the parse is moved onto them only when someone asks
 * for it: a database materialising the entry does, a copy between two stores does not.
 */
export class StoredEntry implements VerifiedEntry {
  readonly hash: ChangeHash
  readonly docId: DocId
  readonly kind: EntryKind
  readonly deps: readonly ChangeHash[]
  readonly #checked: ParsedEntry
  #parsed: ParsedEntry | undefined

  /** `checked` is the check's parse; `bytes` are `checked.bytes` or an exact copy of them. */
  constructor(
    checked: ParsedEntry,
    readonly bytes: Uint8Array,
    readonly author: string,
  ) {
    this.hash = checked.hash
    this.docId = checked.header.docId
    this.kind = checked.header.kind
    this.deps = checked.header.deps
    this.#checked = checked
    if (checked.bytes === bytes) this.#parsed = checked
  }

  get parsed(): ParsedEntry {
    return (this.#parsed ??= parsedOnCopy(this.#checked, this.bytes))
  }
}
