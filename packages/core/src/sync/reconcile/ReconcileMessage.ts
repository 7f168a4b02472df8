import type { ChangeStore } from '../../store/index.ts'

/** Version of the reconciliation message format. */
export const RECONCILE_VERSION = 1

/**
 * What reconciliation reads from a side: range fingerprints and the hashes in small ranges. A
 * `ChangeStore` is one; so is a {@link SortedHashSet} over a plain list of hashes.
 */
export type ReconcileSource = Pick<ChangeStore, 'fingerprint' | 'fingerprints' | 'hashesInRange'>

/**
 * Which side a participant plays. The initiator starts, learns both differences and decides
 * when it is over; the responder is stateless and answers one message at a time.
 */
export type ReconcileRole = 'initiator' | 'responder'

/**
 * One statement about the hashes under a hex prefix `p` (the range `[p, p+1)` in hash order;
 * `''` is every hash).
 * - `fingerprint`: the sender holds `n` hashes there with fingerprint `fp` (16 bytes).
 * - `split`: the sender's counts `n[i]` and fingerprints (16 bytes each, concatenated) of the 16
 *   child prefixes `p + '0'` … `p + 'f'`.
 * - `ids`: every hash the sender holds there (32 bytes each, concatenated).
 * - `diff`: (responder to initiator only) the answer to an `ids`: the responder's hashes the
 *   initiator lacks (`give`) and the initiator's hashes the responder lacks (`want`).
 */
export type ReconcileItem =
  | { readonly t: 'fingerprint'; readonly p: string; readonly n: number; readonly fp: Uint8Array }
  | { readonly t: 'split'; readonly p: string; readonly n: readonly number[]; readonly fp: Uint8Array }
  | { readonly t: 'ids'; readonly p: string; readonly ids: Uint8Array }
  | { readonly t: 'diff'; readonly p: string; readonly give: Uint8Array; readonly want: Uint8Array }

/** One message of the exchange: a plain value, encoded with {@link encodeReconcileMessage}. */
export interface ReconcileMessage {
  readonly v: typeof RECONCILE_VERSION
  readonly items: readonly ReconcileItem[]
}

/** Tuning and safety limits of one participant. */
export interface ReconcileOptions {
  /** A differing range holding at most this many of my hashes is answered with its hash list. */
  readonly leafSize?: number
  /** A responder answers an `ids` with a `diff` while it holds at most this many hashes there. */
  readonly diffSize?: number
  /** Most hashes one outgoing message may carry; past it, ranges are split instead. */
  readonly maxIdsPerMessage?: number
}

export const DEFAULT_RECONCILE_OPTIONS: Required<ReconcileOptions> = {
  leafSize: 8,
  diffSize: 256,
  maxIdsPerMessage: 20_000,
}

/** Limits on an incoming message, checked before anything is computed. */
export const RECONCILE_LIMITS = {
  maxItems: 65_536,
  maxIdsPerItem: 100_000,
  maxMessageBytes: 8 * 1024 * 1024,
  /**
   * Most range reads (fingerprints or short listings) answering one message may take, counted
   * for the worst case of every item (see `reconcileCost`): the work budget of one message. A
   * sender splits a longer message into several; a receiver refuses one over it with
   * `WEFT_WORK_LIMIT` before reading anything.
   */
  maxRangeReadsPerMessage: 8_192,
} as const

/** Bytes per hash on the wire, and per fingerprint. */
export const HASH_BYTES = 32
export const FINGERPRINT_BYTES = 16
/** Children of a split prefix. */
export const BRANCHES = 16
