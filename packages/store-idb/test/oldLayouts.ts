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

/**
 * Writes stores in the layout of version 3 (entries, one `log` record and one `docs` record per
 * document per append, meta, and a `prefixSums` index left empty: the meta record does not mark
 * it complete, so the store rebuilds it), with epoch `e1`, each store's entries in appends of
 * `perAppend`.
 */
export async function writeVersion3Layout(
  name: string,
  stores: Record<string, ParsedEntry[]>,
  perAppend: number,
): Promise<void> {
  const old = await openDB(name, 3, {
    upgrade(db) {
      for (const s of ['entries', 'meta', 'records', 'log', 'docs', 'prefixSums']) db.createObjectStore(s)
    },
  })
  const tx = old.transaction(['entries', 'log', 'docs', 'meta'], 'readwrite')
  for (const [store, es] of Object.entries(stores)) {
    for (let first = 1; first <= es.length; first += perAppend) {
      const append = es.slice(first - 1, first - 1 + perAppend)
      for (const e of append) void tx.objectStore('entries').put(e.bytes, [store, e.hash])
      const docIds = append.map((e) => e.header.docId)
      void tx
        .objectStore('log')
        .put({ hashes: append.map((e) => e.hash), docIds, kinds: append.map((e) => e.header.kind) }, [store, first])
      for (const docId of new Set(docIds))
        void tx.objectStore('docs').put(
          append.filter((e) => e.header.docId === docId).map((e) => e.hash),
          [store, docId, first],
        )
    }
    void tx.objectStore('meta').put({ epoch: 'e1', seq: es.length }, store)
  }
  await tx.done
  old.close()
}
