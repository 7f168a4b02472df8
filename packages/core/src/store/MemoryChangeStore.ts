import { toHex } from '../codec/index.ts'
import { randomBytes } from '../crypto/index.ts'
import type { ChangeHash, DocId, EntryKind } from '../types.ts'
import { BaseChangeStore, type StoreOptions, type VerifiedEntry } from './BaseChangeStore.ts'
import type { HashRange, ScanItem, StoreHead } from './ChangeStore.ts'
import { inRange } from './fingerprint.ts'

interface Held {
  readonly bytes: Uint8Array
  readonly seq: number
  readonly docId: DocId
  readonly kind: EntryKind
}

/** Change store in memory: for tests, caches and short-lived peers. Its epoch is new per instance. */
export class MemoryChangeStore extends BaseChangeStore {
  readonly #entries = new Map<ChangeHash, Held>()
  readonly #order: ChangeHash[] = []
  readonly #byDoc = new Map<DocId, ChangeHash[]>()
  readonly #epoch = toHex(randomBytes(8))
  #sorted: ChangeHash[] | null = []

  constructor(options: StoreOptions = {}) {
    super(options)
  }

  protected async _appendVerified(entries: readonly VerifiedEntry[]): Promise<void> {
    for (const e of entries) {
      this.#order.push(e.hash)
      this.#entries.set(e.hash, { bytes: e.bytes, seq: this.#order.length, docId: e.docId, kind: e.kind })
      let list = this.#byDoc.get(e.docId)
      if (!list) this.#byDoc.set(e.docId, (list = []))
      list.push(e.hash)
    }
    this.#sorted = null
  }

  protected async _has(hashes: readonly ChangeHash[]): Promise<boolean[]> {
    return hashes.map((h) => this.#entries.has(h))
  }

  protected async _get(hashes: readonly ChangeHash[]): Promise<(Uint8Array | undefined)[]> {
    // Copies: a caller editing what it read must not change the stored entry.
    return hashes.map((h) => {
      const b = this.#entries.get(h)?.bytes
      return b && new Uint8Array(b)
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
    const sorted = (this.#sorted ??= [...this.#order].sort())
    let lo = 0
    let hi = sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (sorted[mid]! < range.lower) lo = mid + 1
      else hi = mid
    }
    const out: ChangeHash[] = []
    for (let i = lo; i < sorted.length && out.length < limit && inRange(sorted[i]!, range); i++) out.push(sorted[i]!)
    return out
  }

  protected async _close(): Promise<void> {}
}
