import { unwrap, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb'
import { groupByDoc } from './groupByDoc.ts'
import type { LogRecord, WeftIdbSchema } from './openWeftIdb.ts'

/** An arrival row of layouts 1 and 2: one per entry, keyed by `[s, seq]` in-line. */
interface ArrivalRow {
  readonly s: string
  readonly seq: number
  readonly hash: string
  readonly docId: string
  readonly kind: LogRecord['kinds'][number]
}

/** Entries per `log` record written by the migration (an append's own record has no such bound). */
const CHUNK = 1_000

function isArrivalRow(value: unknown): value is ArrivalRow {
  const r = value as ArrivalRow
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.s === 'string' &&
    Number.isSafeInteger(r.seq) &&
    typeof r.hash === 'string' &&
    typeof r.docId === 'string' &&
    typeof r.kind === 'string'
  )
}

/**
 * In the upgrade transaction from layout 1 or 2: rewrites the per-entry `arrival` rows as `log`
 * records of up to 1,000 consecutive arrival numbers and the matching `docs` records, then deletes
 * `arrival` and the old per-node index `sums` (stores rebuild the index in its new form when
 * opened). Plain requests and callbacks, so the transaction never sits idle; a malformed row aborts
 * the upgrade, which leaves the database as it was.
 */
export function migrateArrivalRows(
  db: IDBPDatabase<WeftIdbSchema>,
  tx: IDBPTransaction<WeftIdbSchema, StoreNames<WeftIdbSchema>[], 'versionchange'>,
): void {
  const rawDb = unwrap(db)
  const raw = unwrap(tx)
  const log = raw.objectStore('log')
  const docs = raw.objectStore('docs')
  let chunk: { s: string; first: number; rows: ArrivalRow[] } | null = null

  const flush = (): void => {
    if (!chunk) return
    const { s, first, rows } = chunk
    const record: LogRecord = {
      hashes: rows.map((r) => r.hash),
      docIds: rows.map((r) => r.docId),
      kinds: rows.map((r) => r.kind),
    }
    log.put(record, [s, first])
    for (const [docId, hashes] of groupByDoc(record.hashes, record.docIds)) docs.put(hashes, [s, docId, first])
    chunk = null
  }

  const cursor = raw.objectStore('arrival' as 'log').openCursor()
  cursor.onsuccess = () => {
    try {
      const at = cursor.result
      if (!at) {
        flush()
        rawDb.deleteObjectStore('arrival')
        if (rawDb.objectStoreNames.contains('sums')) rawDb.deleteObjectStore('sums')
        return
      }
      const row: unknown = at.value
      if (!isArrivalRow(row)) throw new Error(`a malformed arrival row at ${JSON.stringify(at.primaryKey)}`)
      if (chunk && (chunk.s !== row.s || chunk.rows.length >= CHUNK || chunk.first + chunk.rows.length !== row.seq))
        flush()
      chunk ??= { s: row.s, first: row.seq, rows: [] }
      chunk.rows.push(row)
      at.continue()
    } catch {
      raw.abort() // the open fails; the database keeps its old layout
    }
  }
}
