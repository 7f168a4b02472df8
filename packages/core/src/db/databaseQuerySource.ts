import type { DocId } from '../types.ts'
import type { DocData } from './DocState.ts'
import type { Document } from './Document.ts'
import type { QuerySource } from './query/index.ts'
import type { Residency } from './Residency.ts'

/** What of a database its query engine reads. */
export interface QueriedDatabase {
  getDocument(id: DocId): Promise<Document<DocData> | undefined>
  getAllDocumentIds(): Promise<DocId[]>
  onDocsChanged(listener: (ids: readonly DocId[]) => void): () => void
}

/**
 * A database as its query engine sees it: documents read through their handles, versions from
 * their summaries (no document materialised), and read-ahead through the database's residency.
 */
export function databaseQuerySource(db: QueriedDatabase, residency: Residency): QuerySource {
  return {
    ids: () => db.getAllDocumentIds(),
    data: async (id) => {
      const doc = await db.getDocument(id)
      return doc && !doc.isDeleted() ? doc.getData() : undefined
    },
    // A document's version is its entry heads: the same in its summary and once materialised.
    read: async (id) => {
      const doc = await db.getDocument(id)
      return doc && !doc.isDeleted()
        ? { data: doc.getData(), version: doc.getHeads().join('') }
        : { data: undefined, version: '' }
    },
    versionsOfAll: async () => {
      const out: { id: DocId; version: string }[] = []
      for await (const s of residency.everyDocument())
        if (s.readable && !s.deleted) out.push({ id: s.id, version: [...s.heads].sort().join('') })
      return out
    },
    onChange: (listener) => db.onDocsChanged(listener),
    prefetch: (ids) => residency.prefetch(ids),
  }
}
