/**
 * Domain-separation strings. Every signature, associated-data block and derived key names what
 * it is for, so bytes signed for one purpose can never be replayed as another.
 */
export const Domain = {
  entrySignature: 'weft/v1/entry/signature',
  entryAssociatedData: 'weft/v1/entry/ad',
  keyCommitment: 'weft/v1/aead/commit',
  attachmentChunkTag: 'weft/v1/attachment/chunk-tag',
  profileSignature: 'weft/v1/profile/signature',
  keyBlob: 'weft/v1/key-blob',
  tenantRecord: 'weft/v1/tenant-record',
  sealedKey: 'weft/v1/sealed-key',
  grantSignature: 'weft/v1/grant/signature',
  writerRoster: 'weft/v1/grant/writer-roster',
  auditRecord: 'weft/v1/audit/record',
  auditHead: 'weft/v1/audit/head',
  memberRecord: 'weft/v1/members/record',
  joinRequest: 'weft/v1/members/join-request',
  joinResponse: 'weft/v1/members/join-response',
  recoveryKit: 'weft/v1/members/recovery-kit',
  serverRegistration: 'weft/v1/server/registration',
  serverChallenge: 'weft/v1/server/challenge',
  serverControl: 'weft/v1/server/tenant-control',
  presenceSignature: 'weft/v1/presence/signature',
  presenceAssociatedData: 'weft/v1/presence/ad',
  dbIndexKey: 'weft/v1/db-index/key',
  dbIndexRecord: 'weft/v1/db-index/record',
  dbQueryIndexRecord: 'weft/v1/db-index/query-index',
} as const

export type DomainName = (typeof Domain)[keyof typeof Domain]
