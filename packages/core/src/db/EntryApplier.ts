import {
  decodeChangePayload,
  decryptEntryWithKey,
  findEntryKey,
  parseEntry,
  type HeldKey,
  type ParsedEntry,
} from '../entries/index.ts'
import { ErrorCodes, toWeftError, WeftError } from '../errors.ts'
import type { KeyBag } from '../keys/index.ts'
import type { ChangeStore } from '../store/index.ts'
import type { TrustPolicy } from '../tenant/index.ts'
import { sameOrigin, type ChangeHash, type DbName, type DocId } from '../types.ts'
import { applyDecoded, type DecodedEntry, type LoadedFromSave } from './applyDecoded.ts'
import type { DocState } from './DocState.ts'
import type { EntryLedger } from './EntryLedger.ts'
import { FETCH_CHUNK, groupByDoc, type IngestItem } from './ingestItem.ts'
import type { HeldEntry, MaterialiseReport } from './MaterialiseReport.ts'
import { openSnapshot, type OpenedSnapshot } from './openSnapshot.ts'
import { snapshotCoversTrusted } from './snapshotCoversTrusted.ts'

/** An admitted entry and the key that opens it. */
interface Readable {
  readonly entry: ParsedEntry
  readonly key: HeldKey
}

/**
 * What a materialiser lends its applier: the database's store, keys and trust, its ledger, and how
 * it finds document states and refuses entries.
 */
export interface EntryApplierParts {
  readonly dbName: DbName
  readonly store: ChangeStore
  readonly keys: KeyBag
  readonly trust: TrustPolicy
  /** What became of each entry: applied, held, refused, or a chunk. */
  readonly ledger: EntryLedger
  /** The state an entry of `docId` goes to: the one being loaded, else the one in memory, else a new one. */
  readonly state: (docId: DocId) => DocState
  /** The state of `docId` being loaded, else the one in memory, if any. */
  readonly current: (docId: DocId) => DocState | undefined
  /** Refuses an entry for good. */
  readonly reject: (report: MaterialiseReport, hash: ChangeHash, error: WeftError) => void
}

/**
 * The decrypt-and-apply step of materialising: admits each entry (trust, origin, key), loads a
 * snapshot into a document that has no state yet, then decrypts and applies each document's
 * entries in one Automerge call. Entries it cannot read yet are held (locked or untrusted).
 */
export class EntryApplier {
  readonly #p: EntryApplierParts
  /**
   * Documents loaded from a snapshot in the batch being ingested, with the save they were loaded
   * from: a tail of many causal chains is loaded together with the save (see {@link applyDecoded}).
   */
  readonly #fromSave = new Map<DocState, LoadedFromSave>()
  /** The snapshot each document state was loaded from. */
  readonly #loadedSnapshot = new WeakMap<DocState, ChangeHash>()

  constructor(parts: EntryApplierParts) {
    this.#p = parts
  }

  /** The snapshot a document state was loaded from, if it was. */
  loadedSnapshot(state: DocState): ChangeHash | undefined {
    return this.#loadedSnapshot.get(state)
  }

  /** Materialises entries of documents that are loaded (or new). */
  async apply(items: readonly IngestItem[], report: MaterialiseReport): Promise<void> {
    try {
      await this.#applyBatch(items, report)
    } finally {
      this.#fromSave.clear()
    }
  }

  async #applyBatch(items: readonly IngestItem[], report: MaterialiseReport): Promise<void> {
    const byDoc = groupByDoc(items)
    await this.#loadSnapshots(byDoc, report)
    const rest: IngestItem[] = []
    for (const [docId, list] of byDoc) {
      const state = this.#p.state(docId)
      for (const it of list) {
        if (it.kind === 'snapshot') {
          // A held snapshot is retried only while its document is not loaded; once it is, the
          // snapshot is not needed. Used, superseded or not: a snapshot is never a head.
          // A snapshot refused just now (it did not open) stays refused, not seen.
          if ((state.pending.has(it.hash) && !state.am) || this.#p.ledger.isRejected(it.hash)) continue
          state.pending.delete(it.hash)
          state.markApplied(it.hash)
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
    for (const [docId, entries] of ready) this.#applyToDoc(this.#p.state(docId), entries, report)
  }

  /**
   * For documents not loaded yet, loads the newest snapshot in the batch that one of this tenant's
   * own members wrote and that opens, falling back to older ones. Snapshots are an optimisation
   * whose covered-entry list is believed, so a partner's snapshot is never used: the partner's
   * changes arrive as entries anyway.
   */
  async #loadSnapshots(byDoc: Map<DocId, IngestItem[]>, report: MaterialiseReport): Promise<void> {
    const { store, trust, dbName } = this.#p
    // Newest first, one batched read per round across documents; a document leaves the queue
    // once a snapshot loads or it has none left to try.
    const queues = new Map<DocId, IngestItem[]>()
    for (const [docId, list] of byDoc) {
      const snaps = list.filter((i) => i.kind === 'snapshot')
      if (snaps.length && !this.#p.current(docId)?.am) queues.set(docId, snaps)
    }
    while (queues.size) {
      const round = [...queues.values()].map((q) => q.pop()!)
      for (const entry of await this.#parsedAll(round, report)) {
        if (!trust.isMember(entry.header.author)) continue
        const key = this.#admit(entry, report)
        if (!key || !(await snapshotCoversTrusted(store, trust, dbName, entry, key.key))) continue
        if (this.#loadSnapshot(this.#p.state(entry.header.docId), entry, key, report)) queues.delete(entry.header.docId)
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
      this.#p.reject(report, entry.hash, toWeftError(err, ErrorCodes.DECRYPT_FAILED))
      return false
    }
    const { snap, am } = opened
    state.am = am
    state.waiting = opened.waiting
    this.#fromSave.set(state, { save: snap.save, am })
    state.writeKey ??= key.keyId
    state.bytes += snap.save.length
    state.markApplied(entry.hash)
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
      for (const env of await this.#p.store.getChanges(need.slice(i, i + FETCH_CHUNK).map((n) => n.hash))) {
        try {
          out.push(parseEntry(env.hash, env.bytes))
        } catch (err) {
          this.#p.reject(report, env.hash, toWeftError(err, ErrorCodes.MALFORMED_ENTRY))
        }
      }
    }
    return out
  }

  /** Trust and key checks; returns the entry's key, or holds the entry (and says why). */
  #admit(entry: ParsedEntry, report: MaterialiseReport): HeldKey | undefined {
    const { header } = entry
    const state = this.#p.state(header.docId)
    const trust = this.#p.trust.evaluate(this.#p.dbName, header.origin, header.author, entry.hash)
    if (!trust.ok) {
      this.#hold(state, report.untrusted, { hash: entry.hash, docId: header.docId, code: trust.code })
      return undefined
    }
    if (state.origin && !sameOrigin(state.origin, header.origin)) {
      this.#p.reject(
        report,
        entry.hash,
        new WeftError(ErrorCodes.ORIGIN_NOT_LINKED, `entry ${entry.hash} names another origin than its document`),
      )
      return undefined
    }
    state.origin ??= header.origin
    state.keyId ??= header.keyId
    const key = findEntryKey(entry, this.#p.keys)
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
        this.#p.reject(report, entry.hash, toWeftError(err, ErrorCodes.DECRYPT_FAILED))
      }
    }
    if (decoded.length === 0) return
    for (const { entry, error } of applyDecoded(state, decoded, this.#fromSave.get(state)))
      this.#p.reject(
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
    this.#p.ledger.hold(held)
    list.push(held)
  }

  #markApplied(hash: ChangeHash, docId: DocId): void {
    this.#p.ledger.markApplied(hash, docId)
  }
}
