import {
  decodeChangePayload,
  decryptEntryWithKey,
  findEntryKey,
  parseEntry,
  type EntryEnvelope,
  type HeldKey,
  type ParsedEntry,
} from '../entries/index.ts'
import { ErrorCodes, toWeftError, WeftError } from '../errors.ts'
import type { KeyBag } from '../keys/index.ts'
import type { ChangeStore } from '../store/index.ts'
import type { TrustPolicy } from '../tenant/index.ts'
import { sameOrigin, type ChangeHash, type DbName, type DocId, type EntryKind } from '../types.ts'
import { applyDecoded, type DecodedEntry, type LoadedFromSave } from './applyDecoded.ts'
import type { DocDirectory } from './DocDirectory.ts'
import { DocState } from './DocState.ts'
import { EntryLedger } from './EntryLedger.ts'
import { emptyReport, type HeldEntry, type MaterialiseReport } from './MaterialiseReport.ts'
import { openSnapshot, type OpenedSnapshot } from './openSnapshot.ts'
import { snapshotCovers, type SnapshotCovers } from './snapshotCovers.ts'
import { snapshotCoversTrusted } from './snapshotCoversTrusted.ts'

/** An entry to materialise, known by its index fields; `parsed` when its bytes are already read. */
export interface IngestItem {
  readonly hash: ChangeHash
  readonly docId: DocId
  readonly kind: EntryKind
  readonly parsed?: ParsedEntry
}

/** An admitted entry and the key that opens it. */
interface Readable {
  readonly entry: ParsedEntry
  readonly key: HeldKey
}

const FETCH_CHUNK = 2_000

/**
 * Turns stored entries into document state. For a document not yet loaded it starts from the
 * newest readable snapshot and fetches only the entries the snapshot does not cover; then it
 * decrypts and applies each document's entries in one Automerge call. Entries it cannot read
 * yet are held (locked or untrusted) and retried on {@link Materialiser.retryHeld}.
 */
export class Materialiser {
  readonly #dbName: DbName
  readonly #store: ChangeStore
  readonly #keys: KeyBag
  readonly #trust: TrustPolicy
  readonly #docs: DocDirectory
  /** What became of each entry: applied, held, refused, or a chunk. */
  readonly #ledger = new EntryLedger()
  /**
   * Documents loaded from a snapshot in the batch being ingested, with the save they were loaded
   * from: a tail of many causal chains is loaded together with the save (see {@link applyDecoded}).
   */
  readonly #fromSave = new Map<DocState, LoadedFromSave>()
  /** The snapshot each document state was loaded from. */
  readonly #loadedSnapshot = new WeakMap<DocState, ChangeHash>()
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
    this.#dbName = dbName
    this.#store = store
    this.#keys = keys
    this.#trust = trust
    this.#docs = docs
    this.#chunk = chunk
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
      return c && this.#loadedSnapshot.get(this.#loading.get(o.id)!) !== c.pointer
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
    await this.#ingestLoaded(items, report)
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
      state.applied.add(entry.hash)
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
    await this.#ingestLoaded([...byDoc.values()].flat(), report)
  }

  /** Materialises entries of documents that are loaded (or new). */
  async #ingestLoaded(items: readonly IngestItem[], report: MaterialiseReport): Promise<void> {
    try {
      await this.#ingestLoadedBatch(items, report)
    } finally {
      this.#fromSave.clear()
    }
  }

  async #ingestLoadedBatch(items: readonly IngestItem[], report: MaterialiseReport): Promise<void> {
    const byDoc = groupByDoc(items)
    await this.#loadSnapshots(byDoc, report)
    const rest: IngestItem[] = []
    for (const [docId, list] of byDoc) {
      const state = this.#state(docId)
      for (const it of list) {
        if (it.kind === 'snapshot') {
          // A held snapshot is retried only while its document is not loaded; once it is, the
          // snapshot is not needed. Used, superseded or not: a snapshot is never a head.
          // A snapshot refused just now (it did not open) stays refused, not seen.
          if ((state.pending.has(it.hash) && !state.am) || this.#ledger.isRejected(it.hash)) continue
          state.pending.delete(it.hash)
          state.applied.add(it.hash)
          this.#markApplied(it.hash, docId)
        } else if (!state.applied.has(it.hash)) rest.push(it)
      }
    }
    const ready = new Map<DocId, Readable[]>()
    for (const entry of await this.#parsedAll(rest, report)) {
      const key = this.#admit(entry, report)
      if (!key) continue
      let list = ready.get(entry.header.docId)
      if (!list) ready.set(entry.header.docId, (list = []))
      list.push({ entry, key })
    }
    for (const [docId, entries] of ready) this.#applyToDoc(this.#state(docId), entries, report)
  }

  /**
   * For documents not loaded yet, loads the newest snapshot in the batch that one of this tenant's
   * own members wrote and that opens, falling back to older ones. Snapshots are an optimisation
   * whose covered-entry list is believed, so a partner's snapshot is never used: the partner's
   * changes arrive as entries anyway.
   */
  async #loadSnapshots(byDoc: Map<DocId, IngestItem[]>, report: MaterialiseReport): Promise<void> {
    // Newest first, one batched read per round across documents; a document leaves the queue
    // once a snapshot loads or it has none left to try.
    const queues = new Map<DocId, IngestItem[]>()
    for (const [docId, list] of byDoc) {
      const snaps = list.filter((i) => i.kind === 'snapshot')
      if (snaps.length && !(this.#loading.get(docId) ?? this.#docs.get(docId))?.am) queues.set(docId, snaps)
    }
    while (queues.size) {
      const round = [...queues.values()].map((q) => q.pop()!)
      for (const entry of await this.#parsedAll(round, report)) {
        if (!this.#trust.isMember(entry.header.author)) continue
        const key = this.#admit(entry, report)
        if (!key || !(await snapshotCoversTrusted(this.#store, this.#trust, this.#dbName, entry, key.key))) continue
        if (this.#loadSnapshot(this.#state(entry.header.docId), entry, key, report)) queues.delete(entry.header.docId)
      }
      for (const [docId, q] of queues) if (q.length === 0) queues.delete(docId)
    }
  }

  /**
   * Loads one snapshot into a document that has no state yet and marks the entries it covers
   * applied without reading them (see {@link openSnapshot}).
   */
  #loadSnapshot(state: DocState, entry: ParsedEntry, key: HeldKey, report: MaterialiseReport): boolean {
    let opened: OpenedSnapshot
    try {
      opened = openSnapshot(entry, key.key)
    } catch (err) {
      // A payload of the wrong shape keeps its WEFT_MALFORMED_ENTRY; anything else that fails to
      // open or load is WEFT_DECRYPT_FAILED, as docs/errors.md lists.
      this.#reject(report, entry.hash, toWeftError(err, ErrorCodes.DECRYPT_FAILED))
      return false
    }
    const { snap, am } = opened
    state.am = am
    state.waiting = opened.waiting
    this.#fromSave.set(state, { save: snap.save, am })
    state.writeKey ??= key.keyId
    state.bytes += snap.save.length
    state.applied.add(entry.hash)
    state.snapshot = entry.hash
    this.#loadedSnapshot.set(state, entry.hash)
    state.noteSnapshot(snap.covers, entry.header.deps, snap.refs)
    this.#markApplied(entry.hash, state.id)
    for (const h of snap.covers) this.#markApplied(h, state.id)
    report.applied.push(entry.hash)
    report.docIds.push(state.id)
    return true
  }

  async #parsedAll(items: readonly IngestItem[], report: MaterialiseReport): Promise<ParsedEntry[]> {
    const out: ParsedEntry[] = []
    const need = items.filter((i) => !i.parsed)
    for (const i of items) if (i.parsed) out.push(i.parsed)
    for (let i = 0; i < need.length; i += FETCH_CHUNK) {
      for (const env of await this.#store.getChanges(need.slice(i, i + FETCH_CHUNK).map((n) => n.hash))) {
        try {
          out.push(parseEntry(env.hash, env.bytes))
        } catch (err) {
          this.#reject(report, env.hash, toWeftError(err, ErrorCodes.MALFORMED_ENTRY))
        }
      }
    }
    return out
  }

  /** Trust and key checks; returns the entry's key, or holds the entry (and says why). */
  #admit(entry: ParsedEntry, report: MaterialiseReport): HeldKey | undefined {
    const { header } = entry
    const state = this.#state(header.docId)
    const trust = this.#trust.evaluate(this.#dbName, header.origin, header.author, entry.hash)
    if (!trust.ok) {
      this.#hold(state, report.untrusted, { hash: entry.hash, docId: header.docId, code: trust.code })
      return undefined
    }
    if (state.origin && !sameOrigin(state.origin, header.origin)) {
      this.#reject(
        report,
        entry.hash,
        new WeftError(ErrorCodes.ORIGIN_NOT_LINKED, `entry ${entry.hash} names another origin than its document`),
      )
      return undefined
    }
    state.origin ??= header.origin
    state.keyId ??= header.keyId
    const key = findEntryKey(entry, this.#keys)
    if (!key)
      this.#hold(state, report.locked, { hash: entry.hash, docId: header.docId, code: ErrorCodes.KEY_NOT_FOUND })
    return key
  }

  /**
   * Decrypts a document's entries and applies their changes in as few Automerge calls as keep its
   * view true (see {@link planApply}): one call for one author's changes.
   */
  #applyToDoc(state: DocState, entries: Readable[], report: MaterialiseReport): void {
    const decoded: DecodedEntry[] = []
    for (const { entry, key } of entries) {
      try {
        const plaintext = decryptEntryWithKey(entry, key.key)
        decoded.push({ entry, changes: entry.header.kind === 'delete' ? [] : decodeChangePayload(plaintext) })
      } catch (err) {
        this.#reject(report, entry.hash, toWeftError(err, ErrorCodes.DECRYPT_FAILED))
      }
    }
    if (decoded.length === 0) return
    for (const { entry, error } of applyDecoded(state, decoded, this.#fromSave.get(state)))
      this.#reject(
        report,
        entry.hash,
        new WeftError(ErrorCodes.MALFORMED_ENTRY, 'entry payload is not a valid Automerge change', { cause: error }),
      )
    state.writeKey ??= entries[0]!.key.keyId
    for (const d of decoded) for (const c of d.changes) state.bytes += c.length
    for (const { entry } of decoded) {
      state.noteApplied(entry.hash, entry.header.deps)
      this.#markApplied(entry.hash, state.id)
      if (entry.header.kind === 'delete') state.deleted = true
      report.applied.push(entry.hash)
    }
    report.docIds.push(state.id)
  }

  #hold(state: DocState, list: HeldEntry[], held: HeldEntry): void {
    state.pending.set(held.hash, held.code)
    this.#ledger.hold(held)
    list.push(held)
  }

  #markApplied(hash: ChangeHash, docId: DocId): void {
    this.#ledger.markApplied(hash, docId)
  }

  #reject(report: MaterialiseReport, hash: ChangeHash, error: WeftError, remember = true): void {
    const held = this.#ledger.reject(hash, error, remember)
    if (held) {
      ;(this.#loading.get(held.docId) ?? this.#docs.get(held.docId))?.pending.delete(hash)
      this.touched.add(held.docId)
    }
    report.rejected.push({ hash, error })
  }
}

function groupByDoc(items: readonly IngestItem[]): Map<DocId, IngestItem[]> {
  const byDoc = new Map<DocId, IngestItem[]>()
  for (const it of items) {
    let list = byDoc.get(it.docId)
    if (!list) byDoc.set(it.docId, (list = []))
    list.push(it)
  }
  return byDoc
}

/**
 * The store's parse of an entry it has just verified and stored, which its append listeners hear
 * (`VerifiedEntry.parsed`), when it is a parse of these very bytes.
 */
function parsedByStore(env: EntryEnvelope): ParsedEntry | undefined {
  const parsed = (env as { readonly parsed?: ParsedEntry }).parsed
  return parsed?.bytes === env.bytes && parsed.hash === env.hash ? parsed : undefined
}
