import type { WeftError } from '../errors.ts'
import type { AuditAction } from '../sharing/index.ts'

/** One signed, hash-chained record of a tenant's audit trail. */
export interface AuditRecord {
  /** Position in the trail, from 0, without gaps. */
  readonly seq: number
  /** When, by the tenant's clock (milliseconds since the epoch). */
  readonly at: number
  /** Whose trail it is. */
  readonly tenant: string
  readonly action: AuditAction
  readonly partner: string | null
  readonly databases: readonly string[]
  readonly grantId: string | null
  readonly relationshipId: string | null
  /** Why a sync was denied (`denied`). */
  readonly code: string | null
  /** Entries this tenant sent and received (`sync`). */
  readonly sent: number
  readonly received: number
  readonly detail: string | null
  /** Hash of the previous record, hex; 64 zeros for the first. */
  readonly prev: string
  /** BLAKE2b-256 over this record's signed bytes and signature, hex; the next record's `prev`. */
  readonly hash: string
  /** Admin signature over the record's canonical bytes, base64url. */
  readonly signature: string
}

/** The newest record of a trail, signed on its own so a cut-off tail is noticed. */
export interface AuditHead {
  readonly seq: number
  readonly hash: string
}

/** What can be wrong with a trail. */
export type AuditProblem = 'removed' | 'altered' | 'reordered'

/** Result of `AuditLog.verify()`. */
export type AuditVerification =
  | { readonly ok: true; readonly records: number; readonly head: AuditHead | null }
  | {
      readonly ok: false
      /** `WEFT_AUDIT_TAMPERED`, with a message naming the record. */
      readonly error: WeftError
      readonly problem: AuditProblem
      /** The first position where the trail does not verify. */
      readonly seq: number
    }

/** Filters of `AuditLog.query()`; every given field must match. */
export interface AuditQuery {
  /** From this time, inclusive (tenant clock). */
  readonly from?: number
  /** Before this time, exclusive. */
  readonly to?: number
  readonly partner?: string
  /** Records naming this database. */
  readonly db?: string
  readonly action?: AuditAction | readonly AuditAction[]
  readonly grantId?: string
  readonly relationshipId?: string
  /** At most this many, oldest first. */
  readonly limit?: number
}

export const GENESIS = '0'.repeat(64)
