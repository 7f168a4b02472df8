/** The audit trail: an append-only, signed, hash-chained log per tenant, verifiable end to end and queryable. */
export { AuditLog } from './AuditLog.ts'
export type { AuditLogHost, AuditTrailExport } from './AuditLog.ts'
export { verifyAuditTrail, verifyAuditTrailPart } from './verifyAuditTrail.ts'
export type { StoredAuditRecord } from './verifyAuditTrail.ts'
export { createAuditRecord, openAuditRecord, auditRecordBytes } from './auditRecordCodec.ts'
export type { AuditRecordBody } from './auditRecordCodec.ts'
export type { AuditRecord, AuditHead, AuditProblem, AuditVerification, AuditQuery } from './AuditRecord.ts'
