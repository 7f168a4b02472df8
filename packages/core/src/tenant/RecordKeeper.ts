import { fromBase64Url } from '../codec/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import type { KeyBag, PasswordKey } from '../keys/index.ts'
import { Mutex, type KeyValueStore } from '../store/index.ts'
import { newRecordKey, openTenantRecord, sealTenantRecord, type TenantRecord } from './TenantRecord.ts'
import type { TrustPolicy } from './TrustPolicy.ts'

/** Where a tenant's record is kept on this device, the record as it was opened, and the key it is sealed under. */
export interface RecordPlace {
  readonly record: TenantRecord
  readonly records: KeyValueStore
  readonly recordName: string
  readonly recordKey: PasswordKey
}

/** What the tenant made of its record since it was opened, read again at every save. */
export interface RecordSource {
  readonly trust: TrustPolicy
  readonly keyBag: KeyBag
  /** The Ed25519 key of the device that created the tenant: the directory's genesis signer. */
  readonly root: Uint8Array
  /** Whether this tenant has a directory here. */
  readonly directory: () => boolean
}

/**
 * A tenant's encrypted record on this device: saved one save at a time from the tenant's state
 * as it is then, sealed under the key of this device's password.
 */
export class RecordKeeper {
  readonly #place: RecordPlace
  readonly #source: RecordSource
  #recordKey: PasswordKey
  readonly #saveLock = new Mutex()

  constructor(place: RecordPlace, source: RecordSource) {
    this.#place = place
    this.#source = source
    this.#recordKey = place.recordKey
  }

  /** Seals the tenant's record, as it is when the save runs, and stores it. */
  save(): Promise<void> {
    return this.#saveLock.run(async () => {
      const { tenantId, identity, createdAt } = this.#place.record
      const { trust, keyBag, root, directory } = this.#source
      const record: TenantRecord = {
        v: 1,
        tenantId,
        identity,
        members: trust.members().map(fromBase64Url),
        keys: keyBag.toRecord(),
        partners: trust.partners().map((p) => ({ profile: p.profile.profile, links: p.links.map((l) => ({ ...l })) })),
        createdAt,
        root,
        directory: directory(),
      }
      await this.#place.records.put(this.#place.recordName, sealTenantRecord(record, this.#recordKey))
    })
  }

  /**
   * Seals the record under `newPassword` from now on, and saves it. `WEFT_WRONG_PASSWORD`,
   * changing nothing, when `oldPassword` does not open the stored record.
   */
  async changePassword(oldPassword: string, newPassword: string): Promise<void> {
    if (typeof newPassword !== 'string' || newPassword.length === 0)
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'a password is required')
    const sealed = await this.#place.records.get(this.#place.recordName)
    if (!sealed) throw new WeftError(ErrorCodes.TENANT_NOT_FOUND, `no tenant ${this.#place.record.tenantId}`)
    openTenantRecord(sealed, oldPassword)
    this.#recordKey = newRecordKey(newPassword, this.#recordKey.kdf)
    await this.save()
  }
}
