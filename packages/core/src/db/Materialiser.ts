import { parseEntry, type EntryEnvelope, type ParsedEntry } from '../entries/index.ts'
import { ErrorCodes, toWeftError, WeftError } from '../errors.ts'
import type { KeyBag } from '../keys/index.ts'
import type { ChangeStore } from '../store/index.ts'
import type { TrustPolicy } from '../tenant/index.ts'
import type { ChangeHash, DbName, DocId } from '../types.ts'
import type { DocDirectory } from './DocDirectory.ts'
import { DocState } from './DocState.ts'
import { EntryApplier } from './EntryApplier.ts'
import { EntryLedger } from './EntryLedger.ts'
import { FETCH_CHUNK, groupByDoc, parsedByStore, type IngestItem } from './ingestItem.ts'
import { emptyReport, type HeldEntry, type MaterialiseReport } from './MaterialiseReport.ts'
import { snapshotCovers, type SnapshotCovers } from './snapshotCovers.ts'

export type { IngestItem } from './ingestItem.ts'

/**
 * Turns stored entries into document state. For a document not yet loaded it starts from the
 * newest readable snapshot and fetches only the entries the snapshot does not cover; then it
 * decrypts and applies each document's entries in one Automerge call. Entries it cannot read
 * yet are held (locked or untrusted) and retried on {@link Materialiser.retryHeld}.
 */
export class Materialiser {
  readonly #store: ChangeStore
  readonly #keys: KeyBag
  readonly #trust: TrustPolicy
  readonly #docs: DocDirectory
  /** What became of each entry: applied, held, refused, or a chunk. */
  readonly #ledger = new EntryLedger()
  /** Admits, decrypts and applies entries of documents that are loaded (or new). */
  readonly #applier: EntryApplier
  /** Every entry handed to it since the index last drained this set: the index advances over them. */
  readonly seen = new Set<ChangeHash>()
  /** Documents whose state changed since the index last drained this set. */
  readonly touched = new Set<DocId>()
  /** Documents materialised per step of a large batch, with a hook between steps (to evict). */
  readonly #chunk: { readonly docs: number; readonly between: () => void }
  /** Documents being loaded, in the new states that replace their summaries once complete. */
  readonly #loading = new Map<DocId, DocState>()

  constructor(
    dbName: DbName,
    store: ChangeStore,
    keys: KeyBag,
    trust: TrustPolicy,
    docs: DocDirectory,
    chunk: { readonly docs: number; readonly between: () => void },
  ) {
    this.#store = store
    this.#keys = keys
    this.#trust = trust
    this.#docs = docs
    this.#chunk = chunk
    this.#applier = new EntryApplier({
      dbName,
      store,
      keys,
      trust,
      ledger: this.#ledger,
      state: (docId) => this.#state(docId),
      current: (docId) => this.#current(docId),
      reject: (report, hash, error) => this.#reject(report, hash, error),
    })
  }

  /**
   * Where each of `hashes` stands now: applied, held (locked or untrusted), or refused. Derived
   * from state, so it is the same whoever materialised the entries and however often.
   */
  async statusReport(hashes: readonly ChangeHash[]): Promise<MaterialiseReport> {
    // An entry this process has not seen may be applied in a document known only by its summary:
    // reading it loads that document.
    const unknown = hashes.filter((h) => !this.#ledger.knows(h))
    if (unknown.length) await this.ingestHashes(unknown)
    return this.#ledger.status(hashes)
  }

  /**
   * Materialises entries by hash, reading their bytes from the store, except those in `appended`:
   * the store's own copies of entries it has just verified and stored (as its append listeners
   * hear them), taken as they are instead of read back.
   */
  async ingestHashes(hashes: readonly ChangeHash[], appended?: readonly EntryEnvelope[]): Promise<MaterialiseReport> {
    const report = emptyReport()
    for (const h of hashes) this.seen.add(h)
    const todo = [...new Set(hashes)].filter((h) => !this.#ledger.isRejected(h) && !this.#ledger.isDone(h))
    // Held entries' documents are brought into memory first: refusing one updates its summary.
    await this.#docs.fetch(todo.flatMap((h) => this.#ledger.heldDoc(h) ?? []))
    const items: IngestItem[] = []
    const given = new Map(appended?.map((e) => [e.hash, e]))
    for (let i = 0; i < todo.length; i += FETCH_CHUNK) {
      const chunk = todo.slice(i, i + FETCH_CHUNK)
      const envelopes = await this.#envelopes(chunk, given)
      const found = new Set(envelopes.map((e) => e.hash))
      for (const h of chunk)
        if (!found.has(h))
          this.#reject(report, h, new WeftError(ErrorCodes.INVALID_ARGUMENT, `entry ${h} is not in the store`), false)
      for (const env of envelopes) {
        try {
          const parsed = parsedByStore(env) ?? parseEntry(env.hash, env.bytes)
          items.push({ hash: env.hash, docId: parsed.header.docId, kind: parsed.header.kind, parsed })
        } catch (err) {
          this.#reject(report, env.hash, toWeftError(err, ErrorCodes.MALFORMED_ENTRY))
        }
      }
    }
    await this.#ingest(items, report)
    return report
  }

  /** The envelopes of `hashes`: those in `given` as they are, the rest read from the store. */
  async #envelopes(
    hashes: readonly ChangeHash[],
    given: ReadonlyMap<ChangeHash, EntryEnvelope>,
  ): Promise<EntryEnvelope[]> {
    if (given.size === 0) return this.#store.getChanges(hashes)
    const out: EntryEnvelope[] = []
    const read: ChangeHash[] = []
    for (const h of hashes) {
      const e = given.get(h)
      if (e) out.push(e)
      else read.push(h)
    }
    if (read.length) out.push(...(await this.#store.getChanges(read)))
    return out
  }

  /** Materialises entries known from a store scan, fetching only what it needs. */
  async ingestItems(items: readonly IngestItem[]): Promise<MaterialiseReport> {
    const report = emptyReport()
    for (const i of items) this.seen.add(i.hash)
    await this.#ingest(
      items.filter((i) => !this.#ledger.isRejected(i.hash) && !this.#ledger.isDone(i.hash)),
      report,
    )
    return report
  }

  /**
   * Materialises documents known only by their summary from every entry the store holds of them,
   * starting from the snapshot they were last loaded from (or the newest readable one).
   */
  async load(ids: readonly DocId[]): Promise<void> {
    // Each document is built in a new state, swapped in when complete: a reader never sees a half-built one.
    const olds: DocState[] = []
    await this.#docs.fetch(ids)
    const touchedBefore = new Set(ids.filter((id) => this.touched.has(id)))
    try {
      for (const id of ids) {
        const old = this.#docs.get(id)
        if (!old || old.loaded || this.#loading.has(id)) continue
        const fresh = new DocState(id)
        fresh.snapshot = old.snapshot
        this.#loading.set(id, fresh)
        olds.push(old)
      }
      await this.#loadFresh(olds)
      for (const old of olds) {
        const fresh = this.#loading.get(old.id)!
        for (const h of old.pending.keys()) if (!fresh.pending.has(h)) this.#ledger.forgetHeld(h)
        old.successor = fresh
        fresh.hasPredecessor = old.hasPredecessor || old.handedOut
        this.#docs.set(fresh)
        // A load that finds what the stored summary says leaves nothing to store again.
        if (!touchedBefore.has(old.id) && !old.stale && old.sameSummary(fresh)) this.touched.delete(old.id)
      }
    } finally {
      for (const old of olds) this.#loading.delete(old.id)
    }
  }

  async #loadFresh(olds: readonly DocState[]): Promise<void> {
    // What the snapshot a document was last loaded from covers is not read: that snapshot loads
    // it. Should the snapshot not load after all, the document is built again from every entry.
    const covered = await snapshotCovers(
      this.#store,
      olds.flatMap((o) => (o.snapshot ? [o.snapshot] : [])),
      { keys: this.#keys, isMember: (author) => this.#trust.isMember(author) },
    )
    await this.#loadFreshReading(olds, covered)
    const again = olds.filter((o) => {
      const c = covered.get(o.id)
      return c && this.#applier.loadedSnapshot(this.#loading.get(o.id)!) !== c.pointer
    })
    if (again.length === 0) return
    for (const old of again) {
      const fresh = new DocState(old.id)
      fresh.snapshot = old.snapshot
      this.#loading.set(old.id, fresh)
    }
    await this.#loadFreshReading(again, new Map())
  }

  async #loadFreshReading(olds: readonly DocState[], covered: ReadonlyMap<DocId, SnapshotCovers>): Promise<void> {
    const hashes: ChangeHash[] = []
    const pointers = new Set<ChangeHash>()
    const items: IngestItem[] = []
    for (const old of olds) {
      if (old.snapshot) pointers.add(old.snapshot)
      const c = covered.get(old.id)
      // A snapshot opened to find what it covers is taken as read.
      if (c) items.push({ hash: c.pointer, docId: old.id, kind: 'snapshot', parsed: c.entry })
      // Attachment chunks known already are not read again: they are never materialised.
      for (const h of await this.#store.getAllChangeHashesForDoc(old.id))
        if (!this.#ledger.isChunk(h) && !c?.covers.has(h) && h !== c?.pointer) hashes.push(h)
    }
    const report = emptyReport()
    for (let i = 0; i < hashes.length; i += FETCH_CHUNK) {
      for (const env of await this.#store.getChanges(hashes.slice(i, i + FETCH_CHUNK))) {
        try {
          const parsed = parseEntry(env.hash, env.bytes)
          if (parsed.header.kind === 'chunk') this.#ledger.addChunk(env.hash)
          else items.push({ hash: env.hash, docId: parsed.header.docId, kind: parsed.header.kind, parsed })
        } catch (err) {
          this.#reject(report, env.hash, toWeftError(err, ErrorCodes.MALFORMED_ENTRY))
        }
      }
    }
    // Snapshots are tried last first: the one last used, else the newest by its author's clock.
    const rank = (i: IngestItem) =>
      i.kind !== 'snapshot' ? 0 : pointers.has(i.hash) ? Infinity : i.parsed!.header.createdAt
    items.sort((a, b) => rank(a) - rank(b))
    await this.#applier.apply(items, report)
  }

  /** Restores a held entry of a document known only by its summary. */
  restoreHeld(held: HeldEntry): void {
    this.#ledger.hold(held)
  }

  /** Every held entry (stored in the index header, restored at open). */
  heldEntries(): HeldEntry[] {
    return this.#ledger.heldEntries()
  }

  /** Forgets remembered applied entries of documents not materialised, once there are many. */
  pruneApplied(): void {
    this.#ledger.pruneApplied((id) => this.#docs.get(id)?.loaded === true)
  }

  /** Tries every held entry again (after a key or a partner was added). */
  async retryHeld(): Promise<MaterialiseReport> {
    return this.#ledger.heldCount ? this.ingestHashes(this.#ledger.heldHashes()) : emptyReport()
  }

  /** How many entries are held (locked or untrusted). */
  get heldCount(): number {
    return this.#ledger.heldCount
  }

  /** Forgets every document and entry state, to materialise the store again from the start. */
  reset(): void {
    this.#docs.clear()
    this.#ledger.clear()
  }

  /** Records attachment chunks this database is about to append, so it need not read them back. */
  noteChunks(hashes: readonly ChangeHash[]): void {
    for (const h of hashes) {
      this.#ledger.addChunk(h)
      this.seen.add(h)
    }
  }

  /** Records an entry this database wrote itself. */
  noteLocal(state: DocState, entry: ParsedEntry): void {
    if (entry.header.kind === 'snapshot') {
      state.markApplied(entry.hash)
      state.snapshot = entry.hash
    } else {
      state.noteApplied(entry.hash, entry.header.deps)
      state.bytes += entry.ciphertext.length
    }
    this.#ledger.markApplied(entry.hash, state.id)
    this.seen.add(entry.hash)
    this.touched.add(state.id)
  }

  #state(docId: DocId): DocState {
    let s = this.#loading.get(docId)
    if (s) return s
    s = this.#docs.get(docId)
    if (!s) this.#docs.set((s = new DocState(docId)))
    else this.#docs.touch(s)
    this.touched.add(docId)
    return s
  }

  /**
   * Materialises a batch, a bounded number of documents at a time (each step loads the documents
   * it touches that are known only by their summary), evicting between steps.
   */
  async #ingest(items: readonly IngestItem[], report: MaterialiseReport): Promise<void> {
    // Attachment chunks are kept in the store and read through a document's manifest, never materialised.
    const docItems: IngestItem[] = []
    for (const it of items) {
      if (it.kind === 'chunk') this.#ledger.addChunk(it.hash)
      else docItems.push(it)
    }
    const byDoc = groupByDoc(docItems)
    if (byDoc.size <= this.#chunk.docs) return this.#ingestStep(byDoc, report)
    const ids = [...byDoc.keys()]
    for (let i = 0; i < ids.length; i += this.#chunk.docs) {
      await this.#ingestStep(new Map(ids.slice(i, i + this.#chunk.docs).map((id) => [id, byDoc.get(id)!])), report)
      this.#chunk.between()
    }
  }

  async #ingestStep(byDoc: Map<DocId, IngestItem[]>, report: MaterialiseReport): Promise<void> {
    await this.#docs.fetch(byDoc.keys())
    const unloaded = [...byDoc.keys()].filter((id) => this.#docs.get(id)?.loaded === false)
    if (unloaded.length) {
      await this.load(unloaded)
      // The load read every entry of its documents: the batch's entries it applied are reported here.
      for (const id of unloaded) {
        const state = this.#docs.get(id)
        const applied = byDoc.get(id)!.filter((it) => it.kind !== 'snapshot' && state?.applied.has(it.hash))
        if (applied.length === 0) continue
        report.applied.push(...applied.map((it) => it.hash))
        report.docIds.push(id)
      }
    }
    await this.#applier.apply([...byDoc.values()].flat(), report)
  }

  /** The state of `docId` being loaded, else the one in memory, if any. */
  #current(docId: DocId): DocState | undefined {
    return this.#loading.get(docId) ?? this.#docs.get(docId)
  }

  #reject(report: MaterialiseReport, hash: ChangeHash, error: WeftError, remember = true): void {
    const held = this.#ledger.reject(hash, error, remember)
    if (held) {
      this.#current(held.docId)?.pending.delete(hash)
      this.touched.add(held.docId)
    }
    report.rejected.push({ hash, error })
  }
}
