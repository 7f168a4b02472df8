import type { ErrorCode } from '../errors.ts'
import type { RejectedEntry } from '../store/index.ts'
import type { ChangeHash, DocId } from '../types.ts'

/** An entry kept in the store but not materialised yet: its key or its signer's trust is missing. */
export interface HeldEntry {
  readonly hash: ChangeHash
  readonly docId: DocId
  readonly code: ErrorCode
}

/** What materialising a set of entries did, entry by entry. */
export interface MaterialiseReport {
  /** Entries now reflected in their documents. */
  readonly applied: ChangeHash[]
  /** Held because the reader lacks the key (`WEFT_KEY_NOT_FOUND`); retried when keys arrive. */
  readonly locked: HeldEntry[]
  /** Held because signer or origin is not trusted here; retried when trust changes. */
  readonly untrusted: HeldEntry[]
  /** Refused for good: the entry cannot be read even with its key (wrong key, bad payload). */
  readonly rejected: RejectedEntry[]
  /** Documents whose state changed. */
  readonly docIds: DocId[]
}

export function emptyReport(): MaterialiseReport {
  return { applied: [], locked: [], untrusted: [], rejected: [], docIds: [] }
}

/** Folds `b` into `a`. */
export function mergeReports(a: MaterialiseReport, b: MaterialiseReport): MaterialiseReport {
  return {
    applied: [...a.applied, ...b.applied],
    locked: [...a.locked, ...b.locked],
    untrusted: [...a.untrusted, ...b.untrusted],
    rejected: [...a.rejected, ...b.rejected],
    docIds: [...new Set([...a.docIds, ...b.docIds])],
  }
}
