import type { ChangeHash, DocId, EntryKind } from '@weft/core/backend'
import type { Level } from 'level'
import { sublevelName } from './sublevelName.ts'

/**
 * A Level database Weft can keep stores in, whatever its default value encoding: every sublevel
 * sets its own encodings. (`any` because `Level`'s type parameters are invariant.)
 */
export type LevelDatabase = Level<string, any>

const sublevelOf = <V>(db: LevelDatabase, path: string[], valueEncoding: 'utf8' | 'view') =>
  db.sublevel<string, V>(path, { keyEncoding: 'utf8', valueEncoding })

/** A sublevel with string keys and values of type `V`. */
export type Sublevel<V> = ReturnType<typeof sublevelOf<V>>

/** The stored meta record of a change store. */
export interface StoreMeta {
  /** Layout version. */
  readonly v: 1
  /** Random at creation; names this store's arrival history. */
  readonly epoch: string
  /** Arrival number of the newest entry. */
  readonly seq: number
  /**
   * 1 when the range-fingerprint index (`s/`) is complete. Written by every append of this
   * version; a store last written without it (by an older version) gets its index rebuilt on open.
   */
  readonly index?: 1
}

/** One row of the arrival index. */
export interface ArrivalRow {
  readonly hash: ChangeHash
  readonly docId: DocId
  readonly kind: EntryKind
}

/** Widest arrival number (Number.MAX_SAFE_INTEGER has 16 digits), so keys sort numerically. */
const SEQ_DIGITS = 16
const KINDS: ReadonlySet<string> = new Set<EntryKind>(['create', 'change', 'delete', 'snapshot', 'chunk'])

/**
 * Where one change store lives inside a Level database, under `weft-store/<name>/`:
 *
 * - `e/<hash>` → entry bytes. Hash order, so hash ranges are plain key ranges.
 * - `a/<seq>` → `<hash> <docId> <kind>`: the arrival index, `seq` zero-padded to 16 digits.
 * - `d/<docId>:<seq>` → `<hash>`: the per-document index, in arrival order.
 * - `s/<prefix>` → `<count>:<sum>`: the range-fingerprint index, one node per hex prefix of 0 to
 *   4 characters that some entry's hash starts with (see `prefixSums.ts` in the core).
 * - `m/meta` → JSON {@link StoreMeta}: layout version, epoch, newest arrival number, index flag.
 *
 * An append writes all five in one atomic batch, so no reader sees an entry without its rows,
 * or arrival number n+1 without n, and the index always sums exactly the stored entries.
 */
export class StoreLayout {
  readonly db: LevelDatabase
  readonly entries: Sublevel<Uint8Array>
  readonly arrivals: Sublevel<string>
  readonly byDoc: Sublevel<string>
  readonly meta: Sublevel<string>
  readonly sums: Sublevel<string>

  constructor(db: LevelDatabase, storeName: string) {
    const base = ['weft-store', sublevelName(storeName)]
    this.db = db
    this.entries = sublevelOf<Uint8Array>(db, [...base, 'e'], 'view')
    this.arrivals = sublevelOf<string>(db, [...base, 'a'], 'utf8')
    this.byDoc = sublevelOf<string>(db, [...base, 'd'], 'utf8')
    this.meta = sublevelOf<string>(db, [...base, 'm'], 'utf8')
    this.sums = sublevelOf<string>(db, [...base, 's'], 'utf8')
  }

  static readonly META_KEY = 'meta'

  /** Key of the index node of a hex prefix (the root's prefix is empty). */
  static sumKey(prefix: string): string {
    return `p${prefix}`
  }

  static seqKey(seq: number): string {
    return String(seq).padStart(SEQ_DIGITS, '0')
  }

  static docKey(docId: DocId, seq: number): string {
    return `${docId}:${StoreLayout.seqKey(seq)}`
  }

  /** Key bounds of one document's rows in `byDoc`. */
  static docRange(docId: DocId): { gt: string; lt: string } {
    return { gt: `${docId}:`, lt: `${docId};` }
  }

  static encodeArrival(row: ArrivalRow): string {
    return `${row.hash} ${row.docId} ${row.kind}`
  }

  /** Parses an arrival row; undefined when it is not one. */
  static decodeArrival(value: string): ArrivalRow | undefined {
    const [hash, docId, kind, extra] = value.split(' ')
    if (!hash || !docId || !kind || extra !== undefined || !KINDS.has(kind)) return undefined
    return { hash: hash as ChangeHash, docId: docId as DocId, kind: kind as EntryKind }
  }

  static encodeMeta(meta: StoreMeta): string {
    return JSON.stringify(meta)
  }

  /** Parses the meta record; undefined when it is not one this build reads. */
  static decodeMeta(value: string): StoreMeta | undefined {
    try {
      const m = JSON.parse(value) as Partial<StoreMeta>
      if (m.v !== 1 || typeof m.epoch !== 'string' || !m.epoch || !Number.isSafeInteger(m.seq) || m.seq! < 0)
        return undefined
      return m.index === 1 ? { v: 1, epoch: m.epoch, seq: m.seq!, index: 1 } : { v: 1, epoch: m.epoch, seq: m.seq! }
    } catch {
      return undefined
    }
  }
}
