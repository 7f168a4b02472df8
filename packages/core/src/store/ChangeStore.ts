import type { WeftError } from '../errors.ts'
import type { EntryEnvelope, VouchClaim, VouchLookup } from '../entries/index.ts'
import type { ChangeHash, Cursor, DocId, EntryKind } from '../types.ts'

/** One entry a store refused, with the reason. */
export interface RejectedEntry {
  readonly hash: ChangeHash
  readonly error: WeftError
}

/** Outcome of an append, entry by entry. One bad entry never blocks the others. */
export interface AppendResult {
  /** Entries that were new and are now durable, in the order they were given an arrival number. */
  readonly added: ChangeHash[]
  /** Entries the store already held (duplicates are idempotent). */
  readonly existing: ChangeHash[]
  readonly rejected: RejectedEntry[]
  /**
   * The store's epoch and the arrival number of the last entry this append added, when the store
   * knows them without a read (its own append wrote them). Absent when nothing was added, and from
   * a store that cannot say; `head()` answers then. The added entries have the arrival numbers up
   * to it, one each.
   */
  readonly arrived?: { readonly epoch: string; readonly seq: number }
}

/** What {@link ChangeStore.getChangesChecked} read: the entries that verified, and the refusals. */
export interface CheckedRead {
  readonly entries: EntryEnvelope[]
  readonly rejected: RejectedEntry[]
  /**
   * How many of the hashes asked for the read answers, from the first, when `maxBytes` stopped it
   * short; absent when it answers all. Its entries and refusals are of those hashes only.
   */
  readonly taken?: number
}

/** Options of {@link ChangeStore.getChangesChecked}. */
export interface CheckedReadOptions {
  /**
   * Answers for the store the entries are read for (its `vouched`): an entry whose own signature
   * fails and that nothing read with it vouches for is accepted when that store vouches for it.
   */
  readonly vouched?: VouchLookup
  /**
   * Stop reading once the entries read reach about this many bytes (the first answer always
   * counts): the read then answers a first part of the hashes, and says how many in `taken`.
   */
  readonly maxBytes?: number
}

/** What {@link ChangeStore.getChangesUpTo} read. */
export interface CappedEntries {
  /** The held entries among the first `taken` hashes asked for, in the order asked. */
  readonly entries: EntryEnvelope[]
  /** How many of the hashes asked for the read covers (held or not), from the first. */
  readonly taken: number
}

/** One entry in local arrival order. */
export interface ScanItem {
  readonly hash: ChangeHash
  readonly seq: number
  readonly docId: DocId
  readonly kind: EntryKind
}

/** A page of {@link ChangeStore.scan}. */
export interface ScanPage {
  readonly entries: ScanItem[]
  /** Covers everything scanned so far; pass it to the next `scan`. */
  readonly cursor: Cursor
  /**
   * True when the given cursor was from another epoch, past this store's newest entry, or its
   * position check (`at`) named another entry than this store holds at its `seq` (a store restored
   * from an older copy, since grown or not), and the scan started over.
   */
  readonly reset: boolean
  /** True when nothing more is stored after `cursor` right now. */
  readonly done: boolean
}

/** Where a store's arrival order stands. */
export interface StoreHead {
  readonly epoch: string
  /** Arrival number of the newest entry (0 when empty). */
  readonly seq: number
  readonly count: number
}

/**
 * A range of entry hashes in hash order: `lower` inclusive, `upper` exclusive, `null` meaning no
 * upper bound. The full range is `{ lower: '', upper: null }`.
 */
export interface HashRange {
  readonly lower: string
  readonly upper: string | null
}

/** Summary of the hashes in a {@link HashRange}, for set reconciliation. */
export interface RangeFingerprint {
  readonly count: number
  /** 16 bytes, hex. Equal sets give equal fingerprints. */
  readonly fingerprint: string
}

/** Listener for newly durable entries. */
/**
 * Hears entries that became durable. `entries`, when given, are the store's own copies of the added
 * entries, just verified and stored (an append in this process); a listener may use them instead
 * of reading the entries back. Entries another writer added come with hashes only.
 */
export type AppendListener = (added: readonly ChangeHash[], entries?: readonly EntryEnvelope[]) => void

/**
 * An append-only, content-addressed store of change entries. Every backend implements it by
 * extending `BaseChangeStore`, which verifies what is appended; the core's conformance suite
 * (`runChangeStoreTests`) checks any implementation.
 */
export interface ChangeStore {
  /** Most entries one `appendMany` call may carry, when the store says (more is refused with `WEFT_TOO_MANY_ENTRIES`). */
  readonly maxBatch?: number
  /** Verifies and appends one entry. */
  append(entry: EntryEnvelope): Promise<AppendResult>
  /**
   * Verifies and appends many; returns which were new, held already, or refused (per entry).
   * Appends may overlap: they commit in the order they were called, and what a batch cannot
   * authenticate by itself is settled against the store after every earlier call committed, so
   * overlapping calls decide what calls made one after another would.
   */
  appendMany(entries: Iterable<EntryEnvelope>): Promise<AppendResult>
  /** For each hash, whether it is held. */
  has(hashes: readonly ChangeHash[]): Promise<boolean[]>
  /** The held entries among `hashes`, in the order asked; unknown hashes are left out. */
  getChanges(hashes: readonly ChangeHash[]): Promise<EntryEnvelope[]>
  /**
   * Optional: {@link getChanges} with a report of the held entries it would not hand out because
   * their bytes failed verification (`WEFT_HASH_MISMATCH`, `WEFT_BAD_SIGNATURE`,
   * `WEFT_MALFORMED_ENTRY`, …). A store whose bytes cross a network offers it, so a sync reports a
   * tampered entry as rejected instead of silently leaving it out.
   */
  getChangesChecked?(hashes: readonly ChangeHash[], options?: CheckedReadOptions): Promise<CheckedRead>
  /**
   * Optional: {@link getChanges} of a first part of `hashes`, ending before the held entry that
   * would bring the bytes read past `maxBytes` (the first held entry is read whatever its size).
   * `taken` says how many hashes that covers. A store that knows its entries' sizes before it
   * reads them offers it, so a read capped in bytes takes one trip to its storage, not one per few
   * entries (a reader that cannot see sizes must plan for every entry being the largest allowed).
   */
  getChangesUpTo?(hashes: readonly ChangeHash[], maxBytes: number): Promise<CappedEntries>
  /**
   * Optional: for each claim, whether this store holds the entry or a held entry signed by the
   * claim's author lists its hash in `deps` (so the entry is authentic by the vouching rule, see
   * the security model). A read from elsewhere asks the store its entries go to, so an entry is
   * accepted the same way whichever path brought it. Every `BaseChangeStore` answers it.
   */
  vouched?(claims: readonly VouchClaim[]): Promise<boolean[]>
  /** Every held hash, in arrival order. */
  getAllChangeHashes(): Promise<ChangeHash[]>
  /** Every held hash of one document, in arrival order. */
  getAllChangeHashesForDoc(docId: DocId): Promise<ChangeHash[]>
  /**
   * Optional: the held hashes among `hashes`, in this store's arrival order (unknown ones left
   * out). A copy of more than one batch asks its source, so each batch follows the order the
   * entries were written in: dependencies come before what depends on them, a document's chain
   * arrives together, and the target checks one signature per chain and materialises as it goes.
   * Every `BaseChangeStore` answers it.
   */
  inArrivalOrder?(hashes: readonly ChangeHash[]): Promise<ChangeHash[]>
  /** The hashes held here that are not in `knownHashes`, in arrival order. */
  findNewChanges(knownHashes: Iterable<ChangeHash>): Promise<ChangeHash[]>
  /**
   * Entries after `since` in arrival order; `null` starts at the beginning. The page's cursor
   * carries the check of its position (`at`).
   */
  scan(since: Cursor | null, options?: { limit?: number }): Promise<ScanPage>
  /** The newest arrival number and the epoch. */
  head(): Promise<StoreHead>
  /** Count and fingerprint of the hashes in a range. */
  fingerprint(range: HashRange): Promise<RangeFingerprint>
  /**
   * What {@link fingerprint} gives each of `ranges`, in their order, read together: the stores of
   * this repository read every range's index nodes in one round trip to their storage. Optional
   * for other implementations; reconciliation reads range by range without it.
   */
  fingerprints?(ranges: readonly HashRange[]): Promise<RangeFingerprint[]>
  /** Hashes in a range in hash order, at most `limit`. */
  hashesInRange(range: HashRange, options?: { limit?: number }): Promise<ChangeHash[]>
  /**
   * Optional, for stores that are far away (over a network): set reconciliation against a local
   * store, from the local side. `have`: hashes `local` holds and this store lacks; `need`: the
   * reverse. Copies between stores use it when present, so bytes grow with the difference.
   */
  reconcileWith?(
    local: Pick<ChangeStore, 'fingerprint' | 'hashesInRange'>,
    options?: { signal?: AbortSignal },
  ): Promise<{ readonly have: ChangeHash[]; readonly need: ChangeHash[] }>
  /** Calls `listener` after entries become durable; returns an unsubscribe function. */
  subscribe(listener: AppendListener): () => void
  /** Releases the store; later calls fail with `WEFT_CLOSED`. */
  close(): Promise<void>
}
