import { toBase64Url, type ChangeStore, type Cursor, type KeyValueStore } from '@weft/core/backend'
import { readEntriesCapped } from '../readEntriesCapped.ts'
import type { TenantDataStore } from './TenantDataStore.ts'
import { listTenantRecords } from './tenantRecordKeys.ts'
import { publicRecord, type TenantRecord } from './TenantRecord.ts'

/** What an export reads from. */
export interface ExportSources {
  readonly kv: KeyValueStore
  readonly data: TenantDataStore
  readonly open: (tenant: string, db: string) => Promise<ChangeStore>
}

/** Entries read per page, and most entry bytes per page: what an export holds at once. */
const PAGE = 256
const PAGE_BYTES = 4 * 1024 * 1024

/**
 * A tenant's export, one JSON object a line (NDJSON): first `{"type":"tenant"}` with its catalogue
 * record, then `{"type":"record","key","value"}` for each of the server's records of it
 * (registrations, usage, mailbox; values base64url, as stored), then per database
 * `{"type":"database","name"}` followed by its entries in arrival order,
 * `{"type":"entry","db","hash","bytes"}` (the signed, encrypted entry bytes, base64url), and a last
 * `{"type":"end","databases","entries"}`. It reads a page at a time: the caller's consumption
 * paces it, and it holds at most a page. `storage` is where the tenant's data lives now (its id, or
 * its generation's name after a reset).
 */
export async function* exportTenant(
  sources: ExportSources,
  record: TenantRecord,
  storage = record.id,
): AsyncGenerator<string> {
  const tenant = record.id
  yield line({ type: 'tenant', tenant: publicRecord(record) })
  for (const key of await listTenantRecords(sources.kv, tenant)) {
    const value = await sources.kv.get(key)
    if (value) yield line({ type: 'record', key, value: toBase64Url(value) })
  }
  const dbs = await sources.data.listDatabases(storage)
  let entries = 0
  for (const db of dbs) {
    yield line({ type: 'database', name: db })
    const store = await sources.open(storage, db)
    let cursor: Cursor | null = null
    for (let done = false; !done;) {
      const page = await store.scan(cursor, { limit: PAGE })
      let rest = page.entries.map((e) => e.hash)
      while (rest.length) {
        const read = await readEntriesCapped(store, rest, { maxBytes: PAGE_BYTES, maxEntryBytes: PAGE_BYTES })
        for (const e of read.entries) {
          entries++
          yield line({ type: 'entry', db, hash: e.hash, bytes: toBase64Url(e.bytes) })
        }
        rest = rest.slice(read.taken)
      }
      cursor = page.cursor
      done = page.done
    }
  }
  yield line({ type: 'end', databases: dbs.length, entries })
}

function line(value: unknown): string {
  return JSON.stringify(value) + '\n'
}
