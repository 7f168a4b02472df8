import { ErrorCodes } from '../errors.ts'
import type { ChangeStore } from '../store/index.ts'
import type { Cursor, DbName, DocId } from '../types.ts'
import { ChangeIterator, type IterateOptions } from './ChangeIterator.ts'
import type { DatabaseContext } from './DatabaseContext.ts'
import type { DocumentInfo, DocumentStatus } from './databaseTypes.ts'
import type { DocDirectory } from './DocDirectory.ts'
import type { DocData, DocState } from './DocState.ts'
import { Document } from './Document.ts'
import { DocumentHistory } from './history/index.ts'
import type { IndexKeeper } from './IndexKeeper.ts'
import type { Materialiser } from './Materialiser.ts'
import type { MaterialiseReport } from './MaterialiseReport.ts'
import type { Residency } from './Residency.ts'

/** What a database lends its reader. */
export interface ReaderParts {
  readonly ctx: DatabaseContext
  readonly store: ChangeStore
  readonly name: DbName
  readonly docs: DocDirectory
  readonly materialiser: Materialiser
  readonly keeper: IndexKeeper
  readonly residency: Residency
  /** Runs a materialisation under the database's lock and announces the documents it changed. */
  readonly run: (fn: () => Promise<MaterialiseReport>) => Promise<MaterialiseReport>
}

/** Where a document stands, from its state or summary. */
function statusOf(s: DocState): DocumentStatus {
  if (s.readable) return s.deleted ? 'deleted' : 'ready'
  if ([...s.pending.values()].some((c) => c === ErrorCodes.KEY_NOT_FOUND)) return 'locked'
  return s.pending.size ? 'untrusted' : 'unknown'
}

/**
 * A database's reads: handles given to callers, listings and statuses read from the index a page
 * at a time, changes in arrival order and documents' histories.
 */
export class DocumentReader {
  readonly #p: ReaderParts

  constructor(parts: ReaderParts) {
    this.#p = parts
  }

  /** A handle given to a caller: evicting its document then detaches it (its Automerge document freed, its view kept). */
  handle<T extends DocData>(state: DocState): Document<T> {
    state.handedOut = true
    return new Document<T>(state)
  }

  /** A readable document (deleted ones too), materialised if it is known only by its summary, or undefined. */
  async document<T extends DocData>(id: DocId): Promise<Document<T> | undefined> {
    const state = await this.#p.residency.materialised(id, true)
    return state?.am ? this.handle<T>(state) : undefined
  }

  /** Ids of readable documents that are not deleted, read from the index a page at a time. */
  async ids(): Promise<DocId[]> {
    const ids: DocId[] = []
    for await (const s of this.#p.residency.everyDocument()) if (s.readable && !s.deleted) ids.push(s.id)
    return ids
  }

  /** Every document the database knows of, readable or not, own or shared. */
  async list(): Promise<DocumentInfo[]> {
    const { ctx, name, residency } = this.#p
    const out: DocumentInfo[] = []
    for await (const s of residency.everyDocument())
      out.push({
        id: s.id,
        status: statusOf(s),
        own: s.origin?.tenant === ctx.tenantId && s.origin.db === name,
        origin: s.origin,
        keyId: s.writeKey ?? s.keyId,
      })
    return out
  }

  /** Where a document stands, from its state in memory or its summary in the index. */
  async status(id: DocId): Promise<DocumentStatus> {
    const s = await this.#p.residency.stateOrSummary(id)
    return s ? statusOf(s) : 'unknown'
  }

  /** Documents changed after `cursor` in the store's arrival order. */
  changesSince(cursor: Cursor | null, options: IterateOptions): ChangeIterator {
    const { store, keeper, docs, materialiser, residency, run } = this.#p
    return new ChangeIterator(
      {
        store,
        // Entries the index already covers are reflected in their documents (loaded or not).
        ensure: async (items) => {
          const fresh = items.filter((i) => !keeper.covers(i.seq) || docs.get(i.docId)?.loaded === true)
          if (fresh.length) await run(() => materialiser.ingestItems(fresh))
        },
        document: async (id) => {
          const s = await residency.materialised(id, true)
          return s?.am ? this.handle(s) : undefined
        },
      },
      cursor,
      options,
    )
  }

  /** The documents' histories, read from the store; `doc` reads a document as the database's callers do. */
  history(doc: (id: DocId) => Promise<Document | undefined>): DocumentHistory {
    return new DocumentHistory({
      store: this.#p.store,
      keyBag: this.#p.ctx.keyBag,
      doc,
      ids: async () => {
        const ids: DocId[] = []
        for await (const s of this.#p.residency.everyDocument()) ids.push(s.id)
        return ids
      },
    })
  }
}
