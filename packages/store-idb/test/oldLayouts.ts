import type { ParsedEntry } from '@weft/core/backend'
import { openDB } from 'idb'

/**
 * Writes stores in the layout of version 1 (entries, per-entry arrival rows with a document index,
 * meta) or 2 (the same and a per-node index, here left empty: the upgrade drops it), as those
 * versions did, with epoch `e1`; `extra` is one more arrival row written as is.
 */
export async function writeOldLayout(
  name: string,
  version: 1 | 2,
  stores: Record<string, ParsedEntry[]>,
  extra?: object,
): Promise<void> {
  const old = await openDB(name, version, {
    upgrade(db) {
      db.createObjectStore('entries')
      db.createObjectStore('arrival', { keyPath: ['s', 'seq'] }).createIndex('byDoc', ['s', 'docId'])
      db.createObjectStore('meta')
      db.createObjectStore('records')
      if (version === 2) db.createObjectStore('sums')
    },
  })
  const tx = old.transaction(['entries', 'arrival', 'meta'], 'readwrite')
  for (const [store, es] of Object.entries(stores)) {
    es.forEach((e, i) => {
      void tx.objectStore('entries').put(e.bytes, [store, e.hash])
      void tx
        .objectStore('arrival')
        .put({ s: store, seq: i + 1, hash: e.hash, docId: e.header.docId, kind: e.header.kind })
    })
    void tx.objectStore('meta').put({ epoch: 'e1', seq: es.length, ...(version === 2 ? { index: 1 } : {}) }, store)
  }
  if (extra) void tx.objectStore('arrival').put(extra)
  await tx.done
  old.close()
}
