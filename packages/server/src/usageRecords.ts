import {
  ErrorCodes,
  packValue,
  unpackValue,
  WeftError,
  type ChangeStore,
  type Cursor,
  type KeyValueStore,
} from '@weft/core/backend'
import type { TenantQuota } from './ServerOptions.ts'

/** Entry bytes and entries, as counted for a quota. */
export interface Usage {
  bytes: number
  entries: number
}

/** Room taken for an append under way: counted as used until the append settles. */
export interface Hold extends Usage {
  readonly db: string
  /** When the hold was taken (the taking process's clock, ms). */
  readonly at: number
  /** The hashes of the entries it admitted (packed) when few; else they are in a record of their own ({@link holdKey}). */
  readonly names?: Uint8Array
}

/** Most entries a hold names in the use record itself; a larger push writes its names apart. */
export const NAMES_IN_RECORD = 8

/** A tenant's storage use: what each database holds, and the holds of appends under way. */
export interface UsageState {
  readonly dbs: Map<string, Usage>
  readonly holds: Map<string, Hold>
}

/** The tenant's use: stored entries plus every hold. */
export function usedBy(state: UsageState): Usage {
  const used = { bytes: 0, entries: 0 }
  for (const u of [...state.dbs.values(), ...state.holds.values()]) {
    used.bytes += u.bytes
    used.entries += u.entries
  }
  return used
}

/*
 * Keys. Database names hold no `/`, so `usage/<tenant>/~/…` is never a database's record, and every
 * key stays under `usage/<tenant>/`, which tenant export and delete cover.
 */

/** The one record of a tenant's use, written in one put (so every change to it is atomic). */
export function stateKey(tenant: string): string {
  return `usage/${tenant}/~/state`
}

/** The hashes an append under way writes (its hold's id). */
export function holdKey(tenant: string, id: string): string {
  return `usage/${tenant}/~/hold/${id}`
}

/** Where the per-database records of earlier versions start. */
export function legacyPrefix(tenant: string): string {
  return `usage/${tenant}/`
}

interface StateRecord {
  readonly v: 2
  /** db → [bytes, entries] */
  readonly dbs: Record<string, [number, number]>
  /** hold id → [db, bytes, entries, at, names?] */
  readonly holds: Record<string, [string, number, number, number, Uint8Array?]>
}

export function encodeState(state: UsageState): Uint8Array {
  const r: StateRecord = {
    v: 2,
    dbs: Object.fromEntries([...state.dbs].map(([db, u]) => [db, [u.bytes, u.entries]])),
    holds: Object.fromEntries(
      [...state.holds].map(([id, h]) => {
        const row: [string, number, number, number, Uint8Array?] = [h.db, h.bytes, h.entries, h.at]
        if (h.names) row.push(h.names)
        return [id, row]
      }),
    ),
  }
  return packValue(r)
}

export function decodeState(bytes: Uint8Array): UsageState {
  const r = unpackValue<StateRecord>(bytes, 64 << 20)
  const count = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0
  if (r?.v !== 2 || typeof r.dbs !== 'object' || typeof r.holds !== 'object') throw unreadable()
  const state: UsageState = { dbs: new Map(), holds: new Map() }
  for (const [db, u] of Object.entries(r.dbs)) {
    if (!Array.isArray(u) || !count(u[0]) || !count(u[1])) throw unreadable()
    state.dbs.set(db, { bytes: u[0], entries: u[1] })
  }
  for (const [id, h] of Object.entries(r.holds)) {
    if (!Array.isArray(h) || typeof h[0] !== 'string' || !count(h[1]) || !count(h[2]) || !count(h[3]))
      throw unreadable()
    if (h[4] !== undefined && !(h[4] instanceof Uint8Array && h[4].length % 32 === 0)) throw unreadable()
    state.holds.set(id, { db: h[0], bytes: h[1], entries: h[2], at: h[3], ...(h[4] ? { names: h[4] } : {}) })
  }
  return state
}

/** A per-database record of an earlier version (`pending`: the hashes of an append under way). */
interface LegacyRecord {
  readonly v: 1
  readonly bytes: number
  readonly entries: number
  readonly pending?: Uint8Array
}

/** The per-database records an earlier version kept, by database (their keys, to delete once moved). */
export async function readLegacy(
  kv: KeyValueStore,
  tenant: string,
): Promise<{ db: string; key: string; usage: Usage; pending?: Uint8Array }[]> {
  const prefix = legacyPrefix(tenant)
  const found = []
  for (const key of await kv.keys(prefix)) {
    const db = key.slice(prefix.length)
    if (db.includes('/')) continue // not a database's record
    const raw = await kv.get(key)
    if (!raw) continue
    const r = unpackValue<LegacyRecord>(raw, 64 << 20)
    if (r?.v !== 1 || !Number.isSafeInteger(r.bytes) || !Number.isSafeInteger(r.entries)) throw unreadable()
    found.push({
      db,
      key,
      usage: { bytes: r.bytes, entries: r.entries },
      ...(r.pending?.length ? { pending: r.pending } : {}),
    })
  }
  return found
}

/** What a store holds already: nothing for a new one, a full read for one written before quotas. */
export async function measure(store: ChangeStore): Promise<Usage> {
  const usage: Usage = { bytes: 0, entries: 0 }
  if ((await store.head()).count === 0) return usage
  for (let cursor: Cursor | null = null, done = false; !done;) {
    const page = await store.scan(cursor, { limit: 1_000 })
    for (const e of await store.getChanges(page.entries.map((x) => x.hash))) usage.bytes += e.bytes.length
    usage.entries += page.entries.length
    cursor = page.cursor
    done = page.done
  }
  return usage
}

export function overQuota(q: TenantQuota): WeftError {
  return new WeftError(
    ErrorCodes.QUOTA_EXCEEDED,
    `the tenant's storage on this server is full (at most ${q.maxBytesPerTenant} bytes and ${q.maxEntriesPerTenant} entries)`,
  )
}

function unreadable(): WeftError {
  return new WeftError(ErrorCodes.STORAGE_ERROR, 'a storage use record of the server does not parse')
}
