import { isDbName } from '@weft/core'
import type { ClusterMessage } from '@weft/core/backend'

/** The bus topic of {@link StoredNotice}s. */
export const STORED_TOPIC = 'stored'

/**
 * "Entries were stored in tenant t's database db, up to arrival number `to` of store epoch
 * `epoch`": what one process tells the others after an append, so they push the new entries to
 * their own subscribers. It names where to read, never the entries: a receiver reads them from
 * the shared storage after each subscriber's cursor. `from` is where the batch began as far as
 * the sender could tell (another process may have appended in between: `to` is exact, `from`
 * informational).
 */
export interface StoredNotice {
  readonly tenant: string
  readonly db: string
  readonly epoch: string
  readonly from: number
  readonly to: number
}

/** Longest tenant id and epoch a notice may name. */
const MAX_TENANT = 512
const MAX_EPOCH = 128

/** The bus message of `notice`. */
export function createStoredNotice(notice: StoredNotice): ClusterMessage {
  return {
    topic: STORED_TOPIC,
    tenant: notice.tenant,
    data: { db: notice.db, epoch: notice.epoch, from: notice.from, to: notice.to },
  }
}

const arrival = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0

/**
 * The notice a bus message carries, checked field by field; undefined for a message of another
 * topic or a malformed one (a receiver drops it: the next notice or a gap's catch-up covers it).
 */
export function parseStoredNotice(message: ClusterMessage): StoredNotice | undefined {
  if (message.topic !== STORED_TOPIC) return undefined
  const { tenant } = message
  const { db, epoch, from, to } = message.data ?? {}
  if (typeof tenant !== 'string' || tenant.length === 0 || tenant.length > MAX_TENANT) return undefined
  if (typeof db !== 'string' || !isDbName(db)) return undefined
  if (typeof epoch !== 'string' || epoch.length > MAX_EPOCH) return undefined
  if (!arrival(from) || !arrival(to) || from > to) return undefined
  return { tenant, db, epoch, from, to }
}
