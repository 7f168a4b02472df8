import type * as A from '@automerge/automerge'
import { pullInto, pushFrom } from './pullPush.ts'
import { ErrorCodes, toWeftError, WeftError } from '../errors.ts'
import { Emitter } from '../events.ts'
import { Mutex, type ChangeStore } from '../store/index.ts'
import type { ChangeHash, Cursor, DbName, DocId, Origin } from '../types.ts'
import { Presence } from '../presence/index.ts'
import { ChangeIterator, type IterateOptions } from './ChangeIterator.ts'
import type { DatabaseContext } from './DatabaseContext.ts'
import type { DocState, DocData } from './DocState.ts'
import { Document } from './Document.ts'
import { DatabaseSettings } from './DatabaseSettings.ts'
import { DocIndex } from './DocIndex.ts'
import { IndexKeeper, type IndexOpening } from './IndexKeeper.ts'
import { claimIndex } from './claimIndex.ts'
import { Materialiser } from './Materialiser.ts'
import { Residency } from './Residency.ts'
import { DocumentWriter } from './DocumentWriter.ts'
import { databaseQuerySource } from './databaseQuerySource.ts'
import { emptyReport, type MaterialiseReport } from './MaterialiseReport.ts'
import { DocumentHistory, type HistoryEntry, type PointInHistory } from './history/index.ts'
import type {
  CacheStats,
  DatabaseEvents,
  DatabaseOptions,
  DocumentInfo,
  DocumentStatus,
  SyncCallOptions,
  SyncReport,
} from './databaseTypes.ts'
import {
  AttachmentDocs,
  Attachments,
  type AttachmentData,
  type AttachmentOptions,
  type AttachmentSync,
  type AttachmentUpload,
} from './attachments/index.ts'
import {
  IndexStateStore,
  QueryEngine,
  type IndexReport,
  type IndexSpec,
  type Query,
  type QueryResult,
  type SearchHit,
  type SearchOptions,
} from './query/index.ts'

/** Where a document stands, from its state or summary. */
function statusOf(s: DocState): DocumentStatus {
  if (s.readable) return s.deleted ? 'deleted' : 'ready'
  if ([...s.pending.values()].some((c) => c === ErrorCodes.KEY_NOT_FOUND)) return 'locked'
  return s.pending.size ? 'untrusted' : 'unknown'
}

/** The id of a document or of its handle. */
const idOf = (doc: Document | DocId): DocId => (typeof doc === 'string' ? doc : doc.getId())

/**
 * A named set of documents inside a tenant, backed by one change store. Every change is a signed,
 * encrypted entry in the store; document state is materialised from the entries it may read.
 */
export class Database {
  readonly name: DbName
  readonly #ctx: DatabaseContext
  readonly #store: ChangeStore
  readonly #docs = new AttachmentDocs(() => this.#attachments)
  readonly #attachments: Attachments
  readonly #materialiser: Materialiser
  readonly #keeper: IndexKeeper
  readonly #residency: Residency
  readonly #writer: DocumentWriter
  #opened: IndexOpening = 'rebuilt'
  /** Where query indexes keep their states: beside the persisted index, when this database holds it. */
  readonly #indexStates: IndexStateStore | undefined
  #release: () => void = () => undefined
  readonly #lock = new Mutex()
  readonly #events = new Emitter<DatabaseEvents>()
  readonly #settings: DatabaseSettings
  readonly #unsubscribe: (() => void)[] = []
  #closed = false
  /** Indexes, queries and search, made on first use. */
  #query: QueryEngine | undefined
  /** Presence in this database, made on first use. */
  #presence: Presence | undefined
  /** The trust narrowings this database's documents were materialised under. */
  #narrowings: number

  private constructor(ctx: DatabaseContext, store: ChangeStore, name: DbName, options: DatabaseOptions) {
    this.name = name
    this.#ctx = ctx
    this.#store = store
    this.#settings = new DatabaseSettings(name, options)
    this.#materialiser = new Materialiser(name, store, ctx.keyBag, ctx.trust, this.#docs, {
      docs: this.#settings.cacheSize,
      between: () => this.#residency.trim(),
    })
    this.#narrowings = ctx.trust.narrowings
    this.#attachments = new Attachments({
      store,
      keyBag: ctx.keyBag,
      signer: ctx.signer,
      origin: this.origin,
      defaultKeyId: () => this.#settings.keyId,
      noteChunks: (hashes) => this.#materialiser.noteChunks(hashes),
    })
    const claimed = ctx.index && claimIndex(ctx.index.kv, ctx.index.prefix)
    if (claimed) this.#release = claimed
    this.#indexStates = claimed && ctx.index ? new IndexStateStore(ctx.index) : undefined
    const index = new DocIndex(claimed ? ctx.index : undefined, this.origin)
    this.#docs.attach(index)
    this.#keeper = new IndexKeeper(index, store, this.#docs, this.#materialiser, () => ctx.trust.fingerprint())
    this.#residency = new Residency({
      lock: this.#lock,
      docs: this.#docs,
      materialiser: this.#materialiser,
      keeper: this.#keeper,
      settings: this.#settings,
      closed: () => this.#closed,
      onError: (error) => this.#events.emit('error', { error }),
    })
    this.#writer = new DocumentWriter({
      ctx,
      store,
      name,
      origin: this.origin,
      settings: this.#settings,
      docs: this.#docs,
      materialiser: this.#materialiser,
      attachments: this.#attachments,
      residency: this.#residency,
    })
  }

  /**
   * @internal A later `openDB` call's options, settled with those this database has (see
   * {@link DatabaseOptions}); `WEFT_DB_OPTIONS_CONFLICT` when one differs from an earlier choice.
   */
  adoptOptions(options: DatabaseOptions): void {
    this.#settings.adopt(options)
  }

  /**
   * @internal Opens a database over `store` from its persisted index (rebuilt from the store when
   * missing or stale), materialising no document until it is used.
   */
  static async open(
    ctx: DatabaseContext,
    store: ChangeStore,
    name: DbName,
    options: DatabaseOptions = {},
  ): Promise<Database> {
    const db = new Database(ctx, store, name, options)
    // Entries other writers append to this store (another Database over it, a sync) materialise by themselves.
    db.#unsubscribe.push(
      store.subscribe((added, entries) => void db.#background(() => db.#materialiser.ingestHashes(added, entries))),
    )
    try {
      await db.#write(async () => {
        db.#opened = await db.#keeper.open()
        if (db.#materialiser.heldCount) await db.#materialiser.retryHeld()
      })
    } catch (err) {
      for (const u of db.#unsubscribe) u()
      db.#release()
      throw err
    }
    db.#unsubscribe.push(ctx.keyBag.subscribe(() => db.retryHeld().then(() => undefined)))
    db.#unsubscribe.push(ctx.onTrustChange(() => db.#trustChanged()))
    return db
  }

  /**
   * Retries held entries; when a device's trust shrank (removed, demoted), materialises every
   * document again from the store instead, so nothing it may no longer have written stays applied.
   */
  async #trustChanged(): Promise<void> {
    this.#presence?.recheck()
    if (this.#ctx.trust.narrowings === this.#narrowings) {
      await this.retryHeld()
      return
    }
    await this.#run(async () => {
      this.#narrowings = this.#ctx.trust.narrowings
      return this.#keeper.rebuild()
    })
  }

  /**
   * Ephemeral "who is here" in this database: each device's small state (a cursor, a name),
   * signed by the device and encrypted under the database's key, sent to the other devices on
   * the links it has (a relay's live socket through `LiveSync`'s `presence` option, or an
   * in-process peer with `linkPresence`), stored nowhere, gone after the timeout unless
   * refreshed. See docs/api-guide.md.
   */
  get presence(): Presence {
    if (!this.#presence) {
      const ctx = this.#ctx
      this.#presence = new Presence({
        tenantId: ctx.tenantId,
        scope: this.name,
        signer: ctx.signer,
        keyBag: ctx.keyBag,
        keyId: () => this.#settings.keyId,
        admits: (key) => (ctx.presenceAdmits ? ctx.presenceAdmits(key) : ctx.trust.isMember(key)),
      })
      if (this.#closed) this.#presence.close()
    }
    return this.#presence
  }

  /** The change store behind this database. */
  getStore(): ChangeStore {
    return this.#store
  }

  /** The origin of documents created here. */
  get origin(): Origin {
    return { tenant: this.#ctx.tenantId, db: this.name }
  }

  /** Subscribes to an event; returns an unsubscribe function. */
  on<K extends keyof DatabaseEvents>(event: K, listener: (payload: DatabaseEvents[K]) => void): () => void {
    return this.#events.on(event, listener)
  }

  /** Creates a document, optionally with initial data, encrypted under `keyId` (default: the database's). */
  createDocument<T extends DocData = DocData>(
    options: { keyId?: string; data?: NoInfer<T> } = {},
  ): Promise<Document<T>> {
    return this.#write(async () => {
      const state = await this.#writer.create(options)
      this.#events.emit('docs-changed', { docIds: [state.id], source: 'local' })
      return this.#handle<T>(state)
    })
  }

  /**
   * Changes a document: `fn` edits `draft.getData()`; the edit becomes one signed, encrypted
   * entry. A callback that changes nothing writes nothing.
   */
  changeDoc<T extends DocData = DocData>(
    doc: Document<T> | DocId,
    fn: (draft: Document<T>) => void,
  ): Promise<Document<T>> {
    return this.#write(async () => {
      const { state, changed } = await this.#writer.change(idOf(doc), fn)
      if (changed) this.#events.emit('docs-changed', { docIds: [state.id], source: 'local' })
      return this.#handle<T>(state)
    })
  }

  /** Deletes a document (a `delete` entry; its history stays in the store). */
  deleteDocument(doc: Document | DocId): Promise<void> {
    return this.#write(async () => {
      const state = await this.#writer.delete(idOf(doc))
      this.#events.emit('docs-changed', { docIds: [state.id], source: 'local' })
    })
  }

  /** Writes an encrypted snapshot of a document now; loading then starts from it. */
  snapshot(doc: Document | DocId): Promise<ChangeHash> {
    return this.#write(async () => this.#writer.snapshot(await this.#writer.writable(idOf(doc))))
  }

  /** A readable document (deleted ones too, with `isDeleted()`), or undefined. */
  async getDocument<T extends DocData = DocData>(id: DocId | string): Promise<Document<T> | undefined> {
    const state = await this.#residency.materialised(id as DocId, true)
    return state?.am ? this.#handle<T>(state) : undefined
  }

  /**
   * Ids of readable documents that are not deleted. Read from the index a page at a time: no
   * document is materialised, and only the ids are held.
   */
  async getAllDocumentIds(): Promise<DocId[]> {
    const ids: DocId[] = []
    for await (const s of this.#residency.everyDocument()) if (s.readable && !s.deleted) ids.push(s.id)
    return ids
  }

  /** How many documents this database knows and holds materialised (see {@link DatabaseOptions.cacheSize}). */
  cacheStats(): CacheStats {
    return { ...this.#docs.stats(), opened: this.#opened }
  }

  /** Every document this database knows of, readable or not, own or shared (read from the index a page at a time). */
  async listDocuments(): Promise<DocumentInfo[]> {
    const out: DocumentInfo[] = []
    for await (const s of this.#residency.everyDocument())
      out.push({
        id: s.id,
        status: statusOf(s),
        own: s.origin?.tenant === this.#ctx.tenantId && s.origin.db === this.name,
        origin: s.origin,
        keyId: s.writeKey ?? s.keyId,
      })
    return out
  }

  /**
   * Entries that documents here follow but this database has never received: what a relay or
   * partner withheld, or what has not arrived yet. Gaps are detected, not prevented.
   */
  getMissingEntries(): ChangeHash[] {
    return this.#docs.missing()
  }

  /**
   * Whether a document is readable, deleted, locked (key missing) or untrusted (signer or origin).
   * Reads the document's summary from the index when it is not in memory.
   */
  async getDocumentStatus(id: DocId | string): Promise<DocumentStatus> {
    const s = await this.#residency.stateOrSummary(id as DocId)
    return s ? statusOf(s) : 'unknown'
  }

  /**
   * Documents changed after `cursor` in the store's arrival order, each with the cursor to
   * resume from. `null` starts at the beginning; a cursor from another store epoch starts over.
   */
  iterateChangesSince(cursor: Cursor | null, options: IterateOptions = {}): ChangeIterator {
    return new ChangeIterator(
      {
        store: this.#store,
        // Entries the index already covers are reflected in their documents (loaded or not).
        ensure: async (items) => {
          const fresh = items.filter((i) => !this.#keeper.covers(i.seq) || this.#docs.get(i.docId)?.loaded === true)
          if (fresh.length) await this.#run(() => this.#materialiser.ingestItems(fresh))
        },
        document: async (id) => {
          const s = await this.#residency.materialised(id, true)
          return s?.am ? this.#handle(s) : undefined
        },
      },
      cursor,
      options,
    )
  }

  /**
   * Materialises entries appended to this database's store, and reports where each stands:
   * applied, held (locked or untrusted) or refused. Idempotent.
   */
  async syncStoreChanges(hashes: readonly ChangeHash[]): Promise<MaterialiseReport> {
    let status = emptyReport()
    await this.#run(async () => {
      const report = await this.#materialiser.ingestHashes(hashes)
      status = await this.#materialiser.statusReport(hashes)
      return report
    })
    return status
  }

  /** Tries again every entry held for a missing key or trust. Runs by itself when either arrives. */
  retryHeld(): Promise<MaterialiseReport> {
    return this.#run(() => this.#materialiser.retryHeld())
  }

  /**
   * Copies every entry `source` has and this database lacks, then materialises them.
   * `onProgress` hears how far the copy is (throttled; the last report has phase `done`).
   */
  pullChangesFrom(source: ChangeStore | Database, options: SyncCallOptions = {}): Promise<SyncReport> {
    const from = source instanceof Database ? source.getStore() : source
    if (this.#settings.attachments === 'lazy')
      return pullInto(this, from, options, (f, o) => this.#attachments.pullLazily(f, o))
    return pullInto(this, from, options)
  }

  /**
   * Encrypts and stores `data` (bytes, a Blob, a stream) as chunks of a document, in bounded memory,
   * and returns the upload to record with `d.addAttachment(name, upload)` inside `changeDoc`.
   * Chunks already stored for the document are not stored again, so a write cut short and started
   * over stores only what is left.
   */
  async writeAttachment(
    doc: Document | DocId,
    data: AttachmentData,
    options: AttachmentOptions = {},
  ): Promise<AttachmentUpload> {
    return this.#attachments.write(await this.#writer.writable(idOf(doc)), data, options)
  }

  /** Whether pulls and incremental syncs into this database bring attachment chunks (`eager`) or leave them to be fetched when read (`lazy`). */
  get attachmentSync(): AttachmentSync {
    return this.#settings.attachments
  }

  /** Adds a store to fetch attachment chunks this database lacks from (a lazy pull adds its source by itself). */
  fetchAttachmentsFrom(source: ChangeStore | Database): void {
    this.#attachments.addSource(source instanceof Database ? source.getStore() : source)
  }

  /** Copies every entry this database has to `target` (materialising there if it is a database). */
  async pushChangesTo(target: ChangeStore | Database, options: SyncCallOptions = {}): Promise<SyncReport> {
    if (target instanceof Database) return target.pullChangesFrom(this, options)
    return pushFrom(this.#store, target, options)
  }

  /**
   * Creates (or replaces) a local secondary index over the readable documents: by top-level
   * `fields`, or by a `map` of a document's data to a value or tuple. It is kept current as
   * documents change here or arrive by sync, never sent, and used by {@link Database.query} when it
   * fits. Its state is stored locally, encrypted, beside the database's persisted index: the next
   * `createIndex` of the same name and definition after a reopen loads it and reads only the
   * documents that changed since (`opened` in the report says which). See docs/queries.md.
   */
  createIndex(name: string, spec: IndexSpec): Promise<IndexReport> {
    return this.#queryEngine().createIndex(name, spec)
  }

  /** Drops an index and its stored state; true if this database had it. */
  dropIndex(name: string): Promise<boolean> {
    return this.#queryEngine().dropIndex(name)
  }

  /**
   * Documents matching `where` (equality, `gt`/`gte`/`lt`/`lte`, `in` on top-level fields), in
   * `orderBy` order (ties by id), `limit` at a time with `cursor` for the next page. Runs on an
   * index whose first field the query constrains or orders by, else over every document.
   */
  query<T = DocData>(q: Query = {}): Promise<QueryResult<T>> {
    return this.#queryEngine().query<T>(q)
  }

  /** Runs `q` now and again on every change that alters its result; returns a function that stops it. */
  liveQuery<T = DocData>(q: Query, listener: (result: QueryResult<T>) => void): () => void {
    return this.#queryEngine().liveQuery<T>(q, listener)
  }

  /** Creates the full-text index {@link Database.search} uses, over string `fields` (MiniSearch). */
  createSearchIndex(options: SearchOptions): Promise<void> {
    return this.#queryEngine().createSearchIndex(options)
  }

  /** Documents whose indexed fields match `text`, best first (prefix and fuzzy matching by default). */
  search(text: string, options: { limit?: number; prefix?: boolean; fuzzy?: number } = {}): Promise<SearchHit[]> {
    return this.#queryEngine().search(text, options)
  }

  /**
   * The document's entries, newest first (by their authors' clocks): author, time, kind, key. With
   * `before` (ms), only older ones; with `limit`, at most that many.
   */
  getDocumentHistory(id: DocId | string, options: { limit?: number; before?: number } = {}): Promise<HistoryEntry[]> {
    return this.#history().history(id as DocId, options)
  }

  /**
   * The document as it was at entry `heads` (from `Document.getHeads()` or the history) or at a
   * `time` (ms, by its authors' clocks); undefined when it did not exist then or was deleted.
   * A view of the document as held now: nothing is replayed.
   */
  getDocumentAt<T extends DocData = DocData>(id: DocId | string, point: PointInHistory): Promise<T | undefined> {
    return this.#history().at(id as DocId, point) as Promise<T | undefined>
  }

  /** Ids of the documents that existed, not deleted, at `time` (ms, by their authors' clocks). */
  getAllDocumentIdsAt(time: number): Promise<DocId[]> {
    return this.#history().idsAt(time)
  }

  /** Automerge patches from the document at entry heads `from` to entry heads `to`. */
  diff(id: DocId | string, from: readonly ChangeHash[], to: readonly ChangeHash[]): Promise<A.Patch[]> {
    return this.#history().diff(id as DocId, from, to)
  }

  #history(): DocumentHistory {
    return new DocumentHistory({
      store: this.#store,
      keyBag: this.#ctx.keyBag,
      doc: (id) => this.getDocument(id),
      ids: async () => {
        const ids: DocId[] = []
        for await (const s of this.#residency.everyDocument()) ids.push(s.id)
        return ids
      },
    })
  }

  #queryEngine(): QueryEngine {
    this.#query ??= new QueryEngine(
      databaseQuerySource(
        {
          getDocument: (id) => this.getDocument(id),
          getAllDocumentIds: () => this.getAllDocumentIds(),
          onDocsChanged: (listener) => this.on('docs-changed', (e) => listener(e.docIds)),
        },
        this.#residency,
      ),
      this.#indexStates,
    )
    return this.#query
  }

  /** Frees every document and stops listening; the store stays open (its owner closes it). */
  async close(): Promise<void> {
    // Before the lock: storing the index states waits for updates that read documents under it.
    if (!this.#closed) await this.#query?.close()
    await this.#lock.run(async () => {
      if (this.#closed) return
      this.#closed = true
      this.#presence?.close()
      for (const u of this.#unsubscribe) u()
      // The index is a cache: if the storage closed first, the next open re-derives what it missed.
      await this.#keeper.flush().catch(() => undefined)
      this.#release()
      this.#docs.clear()
    })
  }

  /** A handle given to a caller: evicting its document then detaches it (its Automerge document freed, its view kept). */
  #handle<T extends DocData>(state: DocState): Document<T> {
    state.handedOut = true
    return new Document<T>(state)
  }

  /** Runs a materialisation under the lock and announces the documents it changed. */
  #run(fn: () => Promise<MaterialiseReport>): Promise<MaterialiseReport> {
    return this.#write(async () => {
      const report = await fn()
      if (report.docIds.length)
        this.#events.emit('docs-changed', { docIds: [...new Set(report.docIds)], source: 'received' })
      return report
    })
  }

  #background(fn: () => Promise<MaterialiseReport>): Promise<void> {
    return this.#run(fn).then(
      () => undefined,
      (error) => {
        if (!this.#closed) this.#events.emit('error', { error: toWeftError(error, ErrorCodes.STORAGE_ERROR) })
      },
    )
  }

  #write<T>(fn: () => Promise<T>): Promise<T> {
    return this.#lock.run(async () => {
      if (this.#closed) throw new WeftError(ErrorCodes.CLOSED, `database ${this.name} is closed`)
      try {
        return await fn()
      } finally {
        await this.#residency.settle()
      }
    })
  }
}
