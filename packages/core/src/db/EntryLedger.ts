import { ErrorCodes, WeftError } from '../errors.ts'
import type { ChangeHash, DocId } from '../types.ts'
import { AppliedMemo } from './AppliedMemo.ts'
import { emptyReport, type HeldEntry, type MaterialiseReport } from './MaterialiseReport.ts'

/** Past this many remembered applied entries, those of documents not materialised are forgotten. */
const APPLIED_MEMO = 200_000

/**
 * What became of each entry a database has materialised: applied (to which document), held (a
 * key or trust missing), refused for good, or an attachment chunk (kept, never materialised).
 */
export class EntryLedger {
  /** Every entry applied to (or covered in) some document, with its document. */
  readonly #applied = new AppliedMemo(APPLIED_MEMO)
  /** Entries kept but not materialised yet, and why. */
  readonly #held = new Map<ChangeHash, HeldEntry>()
  readonly #rejected = new Map<ChangeHash, WeftError>()
  /** Attachment chunks seen: kept in the store and read through a manifest, never materialised. */
  readonly #chunks = new Set<ChangeHash>()

  /** Applied, or a chunk: nothing left to do with it. */
  isDone(hash: ChangeHash): boolean {
    return this.#applied.has(hash) || this.#chunks.has(hash)
  }

  isRejected(hash: ChangeHash): boolean {
    return this.#rejected.has(hash)
  }

  /** Whether this process has an outcome for the entry (applied, held or refused). */
  knows(hash: ChangeHash): boolean {
    return this.#applied.has(hash) || this.#held.has(hash) || this.#rejected.has(hash)
  }

  isChunk(hash: ChangeHash): boolean {
    return this.#chunks.has(hash)
  }

  addChunk(hash: ChangeHash): void {
    this.#chunks.add(hash)
  }

  /** The entry is applied in `docId` (no longer held). */
  markApplied(hash: ChangeHash, docId: DocId): void {
    this.#applied.set(hash, docId)
    if (this.#held.size) this.#held.delete(hash)
  }

  hold(held: HeldEntry): void {
    this.#held.set(held.hash, held)
  }

  /** The entry is no longer held (its document was built again without it). */
  forgetHeld(hash: ChangeHash): void {
    this.#held.delete(hash)
  }

  /** The document an entry is held in, if it is. */
  heldDoc(hash: ChangeHash): DocId | undefined {
    return this.#held.get(hash)?.docId
  }

  /** Refuses an entry (remembered unless `remember` is false); returns the hold it replaces, if any. */
  reject(hash: ChangeHash, error: WeftError, remember: boolean): HeldEntry | undefined {
    if (remember) this.#rejected.set(hash, error)
    const held = this.#held.get(hash)
    this.#held.delete(hash)
    return held
  }

  /** Where each of `hashes` stands by what this ledger records; one it does not know is reported not in the store. */
  status(hashes: readonly ChangeHash[]): MaterialiseReport {
    const report = emptyReport()
    const docs = new Set<DocId>()
    for (const h of new Set(hashes)) {
      const applied = this.#applied.get(h)
      const held = this.#held.get(h)
      const rejected = this.#rejected.get(h)
      if (this.#chunks.has(h)) report.applied.push(h)
      else if (applied) {
        report.applied.push(h)
        docs.add(applied)
      } else if (held) (held.code === ErrorCodes.KEY_NOT_FOUND ? report.locked : report.untrusted).push(held)
      else
        report.rejected.push({
          hash: h,
          error: rejected ?? new WeftError(ErrorCodes.INVALID_ARGUMENT, `entry ${h} is not in the store`),
        })
    }
    report.docIds.push(...docs)
    return report
  }

  /** Every held entry (stored in the index header, restored at open). */
  heldEntries(): HeldEntry[] {
    return [...this.#held.values()]
  }

  heldHashes(): ChangeHash[] {
    return [...this.#held.keys()]
  }

  get heldCount(): number {
    return this.#held.size
  }

  /** Forgets remembered applied entries of documents that are not `loaded`, once there are many. */
  pruneApplied(loaded: (id: DocId) => boolean): void {
    this.#applied.prune(loaded)
  }

  clear(): void {
    this.#applied.clear()
    this.#held.clear()
    this.#rejected.clear()
    this.#chunks.clear()
  }
}
