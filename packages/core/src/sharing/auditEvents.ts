import type { ErrorCode } from '../errors.ts'

/** What an audit record says happened. */
export type AuditAction = 'share' | 'accept' | 'approve' | 'revoke' | 'expire' | 'sync' | 'denied'

/** Every {@link AuditAction}. */
export const AUDIT_ACTIONS: readonly AuditAction[] = Object.freeze([
  'share',
  'accept',
  'approve',
  'revoke',
  'expire',
  'sync',
  'denied',
])

/** True for the {@link AuditAction} values. */
export function isAuditAction(value: unknown): value is AuditAction {
  return typeof value === 'string' && (AUDIT_ACTIONS as readonly string[]).includes(value)
}

/** One event for a tenant's audit trail, before it is numbered, chained and signed. */
export interface AuditEvent {
  readonly action: AuditAction
  /** The other tenant involved. */
  readonly partner?: string
  /** Databases involved (this tenant's names for its own, the source's names for a grant). */
  readonly databases?: readonly string[]
  readonly grantId?: string
  readonly relationshipId?: string
  /** Why a sync was denied. */
  readonly code?: ErrorCode
  /** Entries this tenant sent and received (sync). */
  readonly sent?: number
  readonly received?: number
  /** A short note, for example which keys were rotated. */
  readonly detail?: string
}

/** Where sharing writes its audit events; the tenant's `AuditLog` is one. */
export interface AuditSink {
  record(event: AuditEvent): Promise<unknown>
}
