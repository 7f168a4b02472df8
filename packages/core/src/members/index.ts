/**
 * Users and devices of a tenant: the signed directory (`tenant.members`), join requests and
 * responses, and recovery kits.
 */
export { MemberDirectory } from './MemberDirectory.ts'
export type { MembersHost, MemberInfo, MemberDeviceInfo, DirectoryReport } from './MemberDirectory.ts'
export { ROLES, isRole, canWrite } from './roles.ts'
export type { Role } from './roles.ts'
export { createMemberRecord, verifyMemberRecord } from './MemberRecord.ts'
export type { DirectoryOp, DeviceKeys, RecordBody, SignedRecord, VerifiedRecord } from './MemberRecord.ts'
export { foldDirectory, compareRecords } from './foldDirectory.ts'
export type { DirectoryState, MemberUser, MemberDevice } from './foldDirectory.ts'
export { DIRECTORY_DB, appendRecord, readRecords } from './directoryEntries.ts'
export { createJoinRequest, parseJoinRequest, joinRequestToString } from './joinRequest.ts'
export type { JoinRequest, VerifiedJoinRequest } from './joinRequest.ts'
export { createJoinResponse, verifyJoinResponse } from './joinResponse.ts'
export type { JoinResponse } from './joinResponse.ts'
export { newRecoveryCode, recoveryKeys, appendRecoveryKit, findRecoveryKit, RECOVERY_KEY_ID } from './recoveryKit.ts'
export type { RecoveryKeys, RecoveryKit } from './recoveryKit.ts'
export { approveJoin } from './approveJoin.ts'
export type { ApproveOptions } from './approveJoin.ts'
export { createRecoveryKit, RECOVERY_USER } from './createRecoveryKit.ts'
export { joinedRecord, seedDirectory } from './joinedRecord.ts'
