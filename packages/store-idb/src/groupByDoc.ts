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
