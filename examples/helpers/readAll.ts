// Reads every readable document of a database as plain JSON, keyed by id in id order, so two
// replicas can be compared with a deep equality check.
import type { Database, DocData } from '@weft/core'

export async function readAll<T extends DocData = DocData>(db: Database): Promise<Record<string, T>> {
  const out: Record<string, T> = {}
  for (const id of (await db.getAllDocumentIds()).sort()) {
    const doc = await db.getDocument<T>(id)
    if (doc) out[id] = doc.toJSON()
  }
  return out
}
