/**
 * Cross-tenant sharing: signed grants (create → parse → verify), the issuer's checks on every
 * orchestrated round (expiry, revocation, approval, environments, `maxSyncs`, permissions), key
 * hand-off and rotation, and listings of own and shared documents.
 */
export { SharingManager } from './SharingManager.ts'
export type { ShareOptions, AcceptOptions } from './shareOptions.ts'
export type { SharingHost } from './SharingHost.ts'
export { GrantAuthority } from './GrantAuthority.ts'
export { createGrant } from './createGrant.ts'
export type { CreateGrantInput } from './createGrant.ts'
export { parseGrant, parseGrantOffer } from './parseGrant.ts'
export { verifyGrant } from './verifyGrant.ts'
export { grantBytes } from './grantBytes.ts'
export { grantBodyProblem, GRANT_LIMITS } from './grantFields.ts'
export type { GrantBody } from './grantFields.ts'
export { grantDenial, isGrantDenial } from './grantDenial.ts'
export type { GrantUse, IssuedGrantStatus } from './grantDenial.ts'
export { grantTransferFilter } from './grantFilters.ts'
export { PERMISSIONS, isPermission, hasPermission } from './Grant.ts'
export type {
  Grant,
  GrantTerms,
  GrantOffer,
  GrantFilter,
  GrantConditions,
  GrantSource,
  GrantPartner,
  Permission,
  FilterValue,
} from './Grant.ts'
export type { GrantInfo, GrantStatus } from './GrantInfo.ts'
export { GrantRecords } from './GrantRecords.ts'
export type { IssuedGrantRecord, ReceivedGrantRecord, ReceivedGrantStatus } from './GrantRecords.ts'
export { listDocuments } from './listDocuments.ts'
export type { DocumentListing, SharedDocumentInfo, SharedVia } from './listDocuments.ts'
export { AUDIT_ACTIONS, isAuditAction } from './auditEvents.ts'
export type { AuditAction, AuditEvent, AuditSink } from './auditEvents.ts'
