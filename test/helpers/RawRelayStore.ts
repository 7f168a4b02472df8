import {
  fingerprintOf,
  inRange,
  parseEntry,
  WeftError,
  ErrorCodes,
  type AppendResult,
  type ChangeHash,
  type ChangeStore,
  type Cursor,
  type DocId,
  type EntryEnvelope,
  type HashRange,
  type RangeFingerprint,
  type ScanItem,
  type ScanPage,
  type StoreHead,
} from '@weft/core/backend'

/**
 * A hostile or broken relay: a `ChangeStore` that keeps whatever it is given, unverified, and
 * serves it back byte for byte under the hash it was given. Use it as the source of a
 * `pullChangesFrom` or a sync to check that the receiving side does all the verifying.
 */
export class RawRelayStore implements ChangeStore {
  readonly #entries: EntryEnvelope[] = []
  #closed = false

  constructor(entries: Iterable<EntryEnvelope> = []) {
    for (const e of entries) this.#entries.push({ hash: e.hash, bytes: e.bytes.slice() })
  }

  async append(entry: EntryEnvelope): Promise<AppendResult> {
    return this.appendMany([entry])
  }

  async appendMany(entries: Iterable<EntryEnvelope>): Promise<AppendResult> {
    this.#open()
    const added: ChangeHash[] = []
    for (const e of entries) {
      this.#entries.push({ hash: e.hash, bytes: e.bytes.slice() })
      added.push(e.hash)
    }
    return { added, existing: [], rejected: [] }
  }

  async has(hashes: readonly ChangeHash[]): Promise<boolean[]> {
    const held = new Set(this.#entries.map((e) => e.hash))
    return hashes.map((h) => held.has(h))
  }

  async getChanges(hashes: readonly ChangeHash[]): Promise<EntryEnvelope[]> {
    const out: EntryEnvelope[] = []
    for (const h of hashes) {
      const e = this.#entries.find((x) => x.hash === h)
      if (e) out.push({ hash: e.hash, bytes: e.bytes.slice() })
    }
    return out
  }

  async getAllChangeHashes(): Promise<ChangeHash[]> {
    return [...new Set(this.#entries.map((e) => e.hash))]
  }

  async getAllChangeHashesForDoc(docId: DocId): Promise<ChangeHash[]> {
    return (await this.#items()).filter((i) => i.docId === docId).map((i) => i.hash)
  }

  async findNewChanges(knownHashes: Iterable<ChangeHash>): Promise<ChangeHash[]> {
    const known = new Set(knownHashes)
    return (await this.getAllChangeHashes()).filter((h) => !known.has(h))
  }

  async scan(since: Cursor | null, options: { limit?: number } = {}): Promise<ScanPage> {
    const items = await this.#items()
    const reset = since !== null && since.epoch !== 'raw'
    const after = since === null || reset ? 0 : since.seq
    const entries = items.slice(after, after + (options.limit ?? 1000))
    const seq = entries.length ? entries[entries.length - 1]!.seq : after
    return { entries, cursor: { epoch: 'raw', seq }, reset, done: after + entries.length >= items.length }
  }

  async head(): Promise<StoreHead> {
    return { epoch: 'raw', seq: this.#entries.length, count: this.#entries.length }
  }

  async fingerprint(range: HashRange): Promise<RangeFingerprint> {
    return fingerprintOf(await this.hashesInRange(range))
  }

  async hashesInRange(range: HashRange, options: { limit?: number } = {}): Promise<ChangeHash[]> {
    const sorted = (await this.getAllChangeHashes()).filter((h) => /^[0-9a-f]{64}$/.test(h) && inRange(h, range)).sort()
    return sorted.slice(0, options.limit ?? Infinity)
  }

  subscribe(): () => void {
    return () => {}
  }

  async close(): Promise<void> {
    this.#closed = true
  }

  /** What a scan reports: the doc id and kind read from each entry's header where it parses. */
  async #items(): Promise<ScanItem[]> {
    return this.#entries.map((e, i) => {
      try {
        const { header } = parseEntry(e.hash, e.bytes)
        return { hash: e.hash, seq: i + 1, docId: header.docId, kind: header.kind }
      } catch {
        return { hash: e.hash, seq: i + 1, docId: '0'.repeat(32) as DocId, kind: 'change' as const }
      }
    })
  }

  #open(): void {
    if (this.#closed) throw new WeftError(ErrorCodes.CLOSED, 'relay is closed')
  }
}
