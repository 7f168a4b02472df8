/** Tenant identity, public profiles, partner trust and the encrypted tenant record. */
export { scopeToTenantId, toTenantId } from './tenantId.ts'
export type { TenantScope } from './tenantId.ts'
export { generateIdentity } from './Identity.ts'
export type { Identity } from './Identity.ts'
export { createProfile, verifyProfile } from './PublicProfile.ts'
export type { PublicProfile, VerifiedProfile } from './PublicProfile.ts'
export { TrustPolicy } from './TrustPolicy.ts'
export type {
  DbLink,
  DbLinkSpec,
  DeviceTrust,
  DeviceTrusts,
  Partner,
  TrustCutoff,
  TrustCutoffs,
  TrustDecision,
  Vouch,
  Vouches,
} from './TrustPolicy.ts'
export { sealTenantRecord, openTenantRecord, newRecordKey } from './TenantRecord.ts'
export type { TenantRecord } from './TenantRecord.ts'
export { TrustKeeper } from './TrustKeeper.ts'
export { RecordKeeper } from './RecordKeeper.ts'
export type { RecordPlace, RecordSource } from './RecordKeeper.ts'
export { sealSharedKey, openSharedKey } from './sharedKeys.ts'
export { dbNameError } from './dbName.ts'
export { dbIndexLocation } from './dbIndexLocation.ts'
export { TenantStorage } from './TenantStorage.ts'
