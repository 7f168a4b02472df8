import { toHex } from '../codec/index.ts'
import { randomBytes } from '../crypto/index.ts'
import type { ChangeHash, DocId, EntryKind } from '../types.ts'
import { BaseChangeStore, type StoreOptions, type VerifiedEntry } from './BaseChangeStore.ts'
import type { CappedEntries, HashRange, RangeFingerprint, ScanItem, StoreHead } from './ChangeStore.ts'
import { MemoryPrefixIndex } from './MemoryPrefixIndex.ts'
import { copyBytesInto } from './copyBytesInto.ts'

interface Held {
  readonly bytes: Uint8Array
  readonly seq: number
  readonly docId: DocId
  readonly kind: EntryKind
}

/**
 * Change store in memory: for tests, caches and short-lived peers. Its epoch is new per instance.
 * Range fingerprints come from an incremental index ({@link MemoryPrefixIndex}), never a full scan.
 */
export class MemoryChangeStore extends BaseChangeStore {
  readonly #entries = new Map<ChangeHash, Held>()
  readonly #order: ChangeHash[] = []
  readonly #byDoc = new Map<DocId, ChangeHash[]>()
  #epoch = toHex(randomBytes(8))
  readonly #options: StoreOptions
  readonly #index = new MemoryPrefixIndex()

  constructor(options: StoreOptions = {}) {
    super(options)
    this.#options = options
  }

  /**
   * A copy of this store as it is now, with the same epoch and arrival numbers: what a backup
   * restored later would hold (for tests of restores; a copy is otherwise independent).
   */
  copy(): MemoryChangeStore {
    const c = new MemoryChangeStore(this.#options)
    c.#epoch = this.#epoch
    c.#order.push(...this.#order)
    for (const [hash, held] of this.#entries) c.#entries.set(hash, held)
    for (const [doc, list] of this.#byDoc) c.#byDoc.set(doc, [...list])
    c.#index.add(this.#order)
    return c
  }

  protected async _appendVerified(entries: readonly VerifiedEntry[]): Promise<void> {
    for (const e of entries) {
      this.#order.push(e.hash)
      this.#entries.set(e.hash, { bytes: e.bytes, seq: this.#order.length, docId: e.docId, kind: e.kind })
      let list = this.#byDoc.get(e.docId)
      if (!list) this.#byDoc.set(e.docId, (list = []))
      list.push(e.hash)
    }
    this.#index.add(entries.map((e) => e.hash))
  }

  protected override _lastArrival(): { epoch: string; seq: number } {
    return { epoch: this.#epoch, seq: this.#order.length }
  }

  protected async _has(hashes: readonly ChangeHash[]): Promise<boolean[]> {
    return hashes.map((h) => this.#entries.has(h))
  }

  protected async _get(hashes: readonly ChangeHash[]): Promise<(Uint8Array | undefined)[]> {
    // Copies: a caller editing what it read must not change the stored entry.
    return copyBytesInto(hashes.map((h) => this.#entries.get(h)?.bytes))
  }

  /** See `ChangeStore.getChangesUpTo`: the sizes are at hand, so one read takes what fits. */
  getChangesUpTo(hashes: readonly ChangeHash[], maxBytes: number): Promise<CappedEntries> {
    return this._readUpTo(hashes, async () => {
      const picked: (Uint8Array | undefined)[] = []
      let bytes = 0
      let held = 0
      for (const h of hashes) {
        const b = this.#entries.get(h)?.bytes
        if (b && held > 0 && bytes + b.length > maxBytes) break
        if (b) {
          held++
          bytes += b.length
        }
        picked.push(b)
      }
      return { bytes: copyBytesInto(picked), taken: picked.length }
    })
  }

  protected async _allHashes(): Promise<ChangeHash[]> {
    return [...this.#order]
  }

  protected async _hashesForDoc(docId: DocId): Promise<ChangeHash[]> {
    return [...(this.#byDoc.get(docId) ?? [])]
  }

  protected async _scan(afterSeq: number, limit: number): Promise<ScanItem[]> {
    return this.#order.slice(afterSeq, afterSeq + limit).map((hash, i) => {
      const held = this.#entries.get(hash)!
      return { hash, seq: afterSeq + i + 1, docId: held.docId, kind: held.kind }
    })
  }

  protected async _head(): Promise<StoreHead> {
    return { epoch: this.#epoch, seq: this.#order.length, count: this.#order.length }
  }

  protected async _hashesInRange(range: HashRange, limit: number): Promise<ChangeHash[]> {
    return this.#index.hashesInRange(range, limit)
  }

  protected override _fingerprint(range: HashRange): Promise<RangeFingerprint> {
    return this.#index.fingerprint(range)
  }

  protected override _fingerprints(ranges: readonly HashRange[]): Promise<RangeFingerprint[]> {
    return this.#index.fingerprints(ranges)
  }

  protected async _close(): Promise<void> {}
}
