import type * as A from '@automerge/automerge'
import { pullInto, pushFrom } from './pullPush.ts'
import { Emitter } from '../events.ts'
import type { ChangeStore } from '../store/index.ts'
import type { ChangeHash, Cursor, DbName, DocId, Origin } from '../types.ts'
import type { Presence } from '../presence/index.ts'
import type { ChangeIterator, IterateOptions } from './ChangeIterator.ts'
import type { DatabaseContext } from './DatabaseContext.ts'
import type { DocData } from './DocState.ts'
import type { Document } from './Document.ts'
import { assembleDatabase, type DatabaseParts } from './assembleDatabase.ts'
import { DatabaseLifecycle } from './DatabaseLifecycle.ts'
import { emptyReport, type MaterialiseReport } from './MaterialiseReport.ts'
import type { DocumentHistory, HistoryEntry, PointInHistory } from './history/index.ts'
import type {
  CacheStats,
  DatabaseEvents,
  DatabaseOptions,
  DocumentInfo,
  DocumentStatus,
  SyncCallOptions,
  SyncReport,
} from './databaseTypes.ts'
import type { AttachmentData, AttachmentOptions, AttachmentSync, AttachmentUpload } from './attachments/index.ts'
import type { IndexReport, IndexSpec, Query, QueryResult, SearchHit, SearchOptions } from './query/index.ts'

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
  readonly #events = new Emitter<DatabaseEvents>()
  /** Its collaborators: settings, documents, attachments, materialiser, index, cache, lock, reads and writes. */
  readonly #p: DatabaseParts
  readonly #life: DatabaseLifecycle

  private constructor(ctx: DatabaseContext, store: ChangeStore, name: DbName, options: DatabaseOptions) {
    this.name = name
    this.#ctx = ctx
    this.#store = store
    this.#p = assembleDatabase(ctx, store, name, options, this.#events)
    this.#life = new DatabaseLifecycle({
      ctx,
      store,
      name,
      parts: this.#p,
      queried: {
        getDocument: (id) => this.getDocument(id),
        getAllDocumentIds: () => this.getAllDocumentIds(),
        onDocsChanged: (listener) => this.on('docs-changed', (e) => listener(e.docIds)),
      },
      retryHeld: () => this.retryHeld(),
    })
  }

  /**
   * @internal A later `openDB` call's options, settled with those this database has (see
   * {@link DatabaseOptions}); `WEFT_DB_OPTIONS_CONFLICT` when one differs from an earlier choice.
   */
  adoptOptions(options: DatabaseOptions): void {
    this.#p.settings.adopt(options)
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
    await db.#life.open()
    return db
  }

  /**
   * Ephemeral "who is here" in this database: each device's small state (a cursor, a name),
   * signed by the device and encrypted under the database's key, sent to the other devices on
   * the links it has (a relay's live socket through `LiveSync`'s `presence` option, or an
   * in-process peer with `linkPresence`), stored nowhere, gone after the timeout unless
   * refreshed. See docs/api-guide.md.
   */
  get presence(): Presence {
    return this.#life.presence()
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
    return this.#p.gate.write(async () => {
      const state = await this.#p.writer.create(options)
      this.#events.emit('docs-changed', { docIds: [state.id], source: 'local' })
      return this.#p.reader.handle<T>(state)
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
    return this.#p.gate.write(async () => {
      const { state, changed } = await this.#p.writer.change(idOf(doc), fn)
      if (changed) this.#events.emit('docs-changed', { docIds: [state.id], source: 'local' })
      return this.#p.reader.handle<T>(state)
    })
  }

  /** Deletes a document (a `delete` entry; its history stays in the store). */
  deleteDocument(doc: Document | DocId): Promise<void> {
    return this.#p.gate.write(async () => {
      const state = await this.#p.writer.delete(idOf(doc))
      this.#events.emit('docs-changed', { docIds: [state.id], source: 'local' })
    })
  }

  /** Writes an encrypted snapshot of a document now; loading then starts from it. */
  snapshot(doc: Document | DocId): Promise<ChangeHash> {
    return this.#p.gate.write(async () => this.#p.writer.snapshot(await this.#p.writer.writable(idOf(doc))))
  }

  /** A readable document (deleted ones too, with `isDeleted()`), or undefined. */
  getDocument<T extends DocData = DocData>(id: DocId | string): Promise<Document<T> | undefined> {
    return this.#p.reader.document<T>(id as DocId)
  }

  /**
   * Ids of readable documents that are not deleted. Read from the index a page at a time: no
   * document is materialised, and only the ids are held.
   */
  getAllDocumentIds(): Promise<DocId[]> {
    return this.#p.reader.ids()
  }

  /** How many documents this database knows and holds materialised (see {@link DatabaseOptions.cacheSize}). */
  cacheStats(): CacheStats {
    return { ...this.#p.docs.stats(), opened: this.#life.opened, caughtUp: this.#p.keeper.caughtUp }
  }

  /** Every document this database knows of, readable or not, own or shared (read from the index a page at a time). */
  listDocuments(): Promise<DocumentInfo[]> {
    return this.#p.reader.list()
  }

  /**
   * Entries that documents here follow but this database has never received: what a relay or
   * partner withheld, or what has not arrived yet. Gaps are detected, not prevented.
   */
  getMissingEntries(): ChangeHash[] {
    return this.#p.docs.missing()
  }

  /**
   * Whether a document is readable, deleted, locked (key missing) or untrusted (signer or origin).
   * Reads the document's summary from the index when it is not in memory.
   */
  getDocumentStatus(id: DocId | string): Promise<DocumentStatus> {
    return this.#p.reader.status(id as DocId)
  }

  /**
   * Documents changed after `cursor` in the store's arrival order, each with the cursor to
   * resume from. `null` starts at the beginning; a cursor from another store epoch starts over.
   */
  iterateChangesSince(cursor: Cursor | null, options: IterateOptions = {}): ChangeIterator {
    return this.#p.reader.changesSince(cursor, options)
  }

  /**
   * Materialises entries appended to this database's store, and reports where each stands:
   * applied, held (locked or untrusted) or refused. Idempotent.
   */
  async syncStoreChanges(hashes: readonly ChangeHash[]): Promise<MaterialiseReport> {
    let status = emptyReport()
    await this.#p.gate.run(async () => {
      const report = await this.#p.materialiser.ingestHashes(hashes)
      status = await this.#p.materialiser.statusReport(hashes)
      return report
    })
    return status
  }

  /** Tries again every entry held for a missing key or trust. Runs by itself when either arrives. */
  retryHeld(): Promise<MaterialiseReport> {
    return this.#p.gate.run(() => this.#p.materialiser.retryHeld())
  }

  /**
   * Copies every entry `source` has and this database lacks, then materialises them.
   * `onProgress` hears how far the copy is (throttled; the last report has phase `done`).
   */
  pullChangesFrom(source: ChangeStore | Database, options: SyncCallOptions = {}): Promise<SyncReport> {
    const from = source instanceof Database ? source.getStore() : source
    if (this.#p.settings.attachments === 'lazy')
      return pullInto(this, from, options, (f, o) => this.#p.attachments.pullLazily(f, o))
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
    return this.#p.attachments.write(await this.#p.writer.writable(idOf(doc)), data, options)
  }

  /** Whether pulls and incremental syncs into this database bring attachment chunks (`eager`) or leave them to be fetched when read (`lazy`). */
  get attachmentSync(): AttachmentSync {
    return this.#p.settings.attachments
  }

  /** Adds a store to fetch attachment chunks this database lacks from (a lazy pull adds its source by itself). */
  fetchAttachmentsFrom(source: ChangeStore | Database): void {
    this.#p.attachments.addSource(source instanceof Database ? source.getStore() : source)
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
    return this.#life.queries().createIndex(name, spec)
  }

  /** Drops an index and its stored state; true if this database had it. */
  dropIndex(name: string): Promise<boolean> {
    return this.#life.queries().dropIndex(name)
  }

  /**
   * Documents matching `where` (equality, `gt`/`gte`/`lt`/`lte`, `in` on top-level fields), in
   * `orderBy` order (ties by id), `limit` at a time with `cursor` for the next page. Runs on an
   * index whose first field the query constrains or orders by, else over every document.
   */
  query<T = DocData>(q: Query = {}): Promise<QueryResult<T>> {
    return this.#life.queries().query<T>(q)
  }

  /** Runs `q` now and again on every change that alters its result; returns a function that stops it. */
  liveQuery<T = DocData>(q: Query, listener: (result: QueryResult<T>) => void): () => void {
    return this.#life.queries().liveQuery<T>(q, listener)
  }

  /** Creates the full-text index {@link Database.search} uses, over string `fields` (MiniSearch). */
  createSearchIndex(options: SearchOptions): Promise<void> {
    return this.#life.queries().createSearchIndex(options)
  }

  /** Documents whose indexed fields match `text`, best first (prefix and fuzzy matching by default). */
  search(text: string, options: { limit?: number; prefix?: boolean; fuzzy?: number } = {}): Promise<SearchHit[]> {
    return this.#life.queries().search(text, options)
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
    return this.#p.reader.history((id) => this.getDocument(id))
  }

  /** Frees every document and stops listening; the store stays open (its owner closes it). */
  close(): Promise<void> {
    return this.#life.close()
  }
}
