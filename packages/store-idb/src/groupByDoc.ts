import type { DocGroupRecord } from './openWeftIdb.ts'

/**
 * Most documents in one `docGroups` record. An append writes one record per this many documents
 * it touched; reading a document's history reads its records whole, each at most this many
 * documents' hashes of one append.
 */
export const DOCS_PER_GROUP = 32

/** The hashes of each document (`docIds[i]` is the document of `hashes[i]`), each list in the given order. */
export function groupByDoc(hashes: readonly string[], docIds: readonly string[]): Map<string, string[]> {
  const byDoc = new Map<string, string[]>()
  hashes.forEach((hash, i) => {
    const list = byDoc.get(docIds[i]!)
    if (list) list.push(hash)
    else byDoc.set(docIds[i]!, [hash])
  })
  return byDoc
}

/**
 * The `docGroups` records of one append to `store`: its documents in order of first appearance,
 * {@link DOCS_PER_GROUP} to a record, each with the hashes the append added to it.
 */
export function docGroupRecords(store: string, hashes: readonly string[], docIds: readonly string[]): DocGroupRecord[] {
  const records: { docs: [string, string][]; hashes: string[][] }[] = []
  for (const [docId, list] of groupByDoc(hashes, docIds)) {
    let last = records.at(-1)
    if (!last || last.docs.length === DOCS_PER_GROUP) records.push((last = { docs: [], hashes: [] }))
    last.docs.push([store, docId])
    last.hashes.push(list)
  }
  return records
}
