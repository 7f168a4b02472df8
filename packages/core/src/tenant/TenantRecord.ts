import { packValue, unpackValue } from '../codec/index.ts'
import { Domain, type KdfParams } from '../crypto/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import {
  newPasswordKey,
  openWithPassword,
  sealWithPasswordKey,
  type KeyVersion,
  type PasswordKey,
} from '../keys/index.ts'
import type { Identity } from './Identity.ts'
import type { PublicProfile } from './PublicProfile.ts'
import type { DbLinkSpec } from './TrustPolicy.ts'

/** Everything secret about a tenant, stored encrypted under its password. */
export interface TenantRecord {
  readonly v: 1
  readonly tenantId: string
  readonly identity: Identity
  readonly members: Uint8Array[]
  readonly keys: Array<[string, KeyVersion[]]>
  readonly partners: Array<{ profile: PublicProfile; links: DbLinkSpec[] }>
  readonly createdAt: number
  /**
   * The Ed25519 key of the device that created the tenant (the directory's genesis signer), for
   * a device that joined or recovered. Absent: this device created the tenant.
   */
  readonly root?: Uint8Array
  /** True once the tenant has a directory on this device: it is read before databases materialise. */
  readonly directory?: boolean
}

/** Encrypts a record; pass the same {@link PasswordKey} to re-save without running Argon2id again. */
export function sealTenantRecord(record: TenantRecord, key: PasswordKey): Uint8Array {
  return sealWithPasswordKey(Domain.tenantRecord, packValue(record), key)
}

export function newRecordKey(password: string, kdf: KdfParams): PasswordKey {
  return newPasswordKey(password, kdf)
}

/** Decrypts a record; `WEFT_WRONG_PASSWORD` on a wrong password, and nothing changes. */
export function openTenantRecord(sealed: Uint8Array, password: string): { record: TenantRecord; key: PasswordKey } {
  const { plaintext, passwordKey } = openWithPassword(Domain.tenantRecord, sealed, password)
  const record = unpackValue<TenantRecord>(plaintext, plaintext.length)
  if (
    record?.v !== 1 ||
    typeof record.tenantId !== 'string' ||
    !record.identity?.signing ||
    !Array.isArray(record.keys)
  ) {
    throw new WeftError(ErrorCodes.MALFORMED_BLOB, 'tenant record does not parse')
  }
  return { record, key: passwordKey }
}
