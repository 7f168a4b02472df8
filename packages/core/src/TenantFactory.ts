import { DEFAULT_KDF, generateKey, ready, type KdfParams } from './crypto/index.ts'
import { ErrorCodes, WeftError } from './errors.ts'
import { KeyBag, protectKeyVersions } from './keys/index.ts'
import { MemoryStoreFactory, Mutex, type KeyValueStore, type StoreFactory } from './store/index.ts'
import { Tenant } from './Tenant.ts'
import {
  generateIdentity, newRecordKey, openTenantRecord, sealTenantRecord, toTenantId,
  type TenantRecord, type TenantScope,
} from './tenant/index.ts'

export interface TenantFactoryOptions {
  /** Where tenants keep their data. Default: in memory. */
  readonly storeFactory?: StoreFactory
  /** Argon2id cost for passwords. Default: libsodium's interactive level (2 passes, 64 MiB). */
  readonly kdf?: KdfParams
  /**
   * The clock tenants use for grant expiry and audit times (ms since the epoch). Default
   * `Date.now`. Entry `createdAt` values are never used for authorization.
   */
  readonly clock?: () => number
}

const RECORDS = 'weft-tenants'
const recordName = (id: string): string => `tenant/${id}`

/** Creates and reopens tenants over a storage backend. Everything happens on the client. */
export class TenantFactory {
  readonly #storeFactory: StoreFactory
  readonly #kdf: KdfParams
  readonly #clock: (() => number) | undefined
  readonly #lock = new Mutex()
  #records: Promise<KeyValueStore> | undefined

  constructor(options: TenantFactoryOptions = {}) {
    this.#storeFactory = options.storeFactory ?? new MemoryStoreFactory()
    this.#kdf = options.kdf ?? DEFAULT_KDF
    this.#clock = options.clock
  }

  /** Creates a tenant with a fresh identity and `default` key, protected by `password`. */
  createTenant(options: { tenantId: string | TenantScope; password: string }): Promise<Tenant> {
    return this.#lock.run(async () => {
      await ready()
      const tenantId = toTenantId(options.tenantId)
      checkPassword(options.password)
      const records = await this.#recordStore()
      if (await records.get(recordName(tenantId))) throw new WeftError(ErrorCodes.TENANT_EXISTS, `tenant ${tenantId} exists`)
      const identity = generateIdentity()
      const record: TenantRecord = {
        v: 1,
        tenantId,
        identity,
        members: [identity.signing.publicKey],
        keys: KeyBag.create().toRecord(),
        partners: [],
        createdAt: Date.now(),
      }
      const recordKey = newRecordKey(options.password, this.#kdf)
      await records.put(recordName(tenantId), sealTenantRecord(record, recordKey))
      return this.#withClock(new Tenant({ record, recordKey, records, recordName: recordName(tenantId), storeFactory: this.#storeFactory }))
    })
  }

  /**
   * Reopens a tenant. `WEFT_TENANT_NOT_FOUND` if it was never created here; `WEFT_WRONG_PASSWORD`
   * (and nothing changes) if the password does not open its record.
   */
  async openTenant(tenantId: string | TenantScope, options: { password: string }): Promise<Tenant> {
    await ready()
    const id = toTenantId(tenantId)
    const records = await this.#recordStore()
    const sealed = await records.get(recordName(id))
    if (!sealed) throw new WeftError(ErrorCodes.TENANT_NOT_FOUND, `no tenant ${id}`)
    const { record, key } = openTenantRecord(sealed, options.password)
    if (record.tenantId !== id) throw new WeftError(ErrorCodes.MALFORMED_BLOB, 'tenant record belongs to another tenant')
    return this.#withClock(new Tenant({ record, recordKey: key, records, recordName: recordName(id), storeFactory: this.#storeFactory }))
  }

  /**
   * Opens the tenant if this storage holds it, otherwise creates it: the open-or-create step of an
   * app's start, so the same code runs on the first launch and on every later one.
   *
   * A wrong password for an existing tenant fails with `WEFT_WRONG_PASSWORD` and never creates
   * anything. Two concurrent calls for one new tenant create it once (the loser opens it).
   *
   * @example
   * ```ts fragment
   * const tenant = await factory.openOrCreateTenant({ tenantId: 'acme', password })
   * ```
   */
  async openOrCreateTenant(options: { tenantId: string | TenantScope; password: string }): Promise<Tenant> {
    const open = (): Promise<Tenant> => this.openTenant(options.tenantId, { password: options.password })
    try {
      return await open()
    } catch (err) {
      if (!(err instanceof WeftError) || err.code !== ErrorCodes.TENANT_NOT_FOUND) throw err
    }
    try {
      return await this.createTenant(options)
    } catch (err) {
      if (err instanceof WeftError && err.code === ErrorCodes.TENANT_EXISTS) return open()
      throw err
    }
  }

  /**
   * A new random symmetric key, protected by `password` (Argon2id + committed XChaCha20-Poly1305).
   * Hand the blob and password to whoever should read documents under it; they call
   * `tenant.keyBag.importKey(name, blob, password)`.
   */
  async createSymmetricEncryptedPrivateKey(password: string): Promise<Uint8Array> {
    await ready()
    checkPassword(password)
    return protectKeyVersions([{ version: 1, key: generateKey() }], password, this.#kdf)
  }

  /** Closes the storage backend. */
  async close(): Promise<void> {
    await this.#storeFactory.close()
  }

  #withClock(tenant: Tenant): Tenant {
    if (this.#clock) tenant.setClock(this.#clock)
    return tenant
  }

  #recordStore(): Promise<KeyValueStore> {
    return (this.#records ??= this.#storeFactory.openKeyValueStore(RECORDS))
  }
}

function checkPassword(password: string): void {
  if (typeof password !== 'string' || password.length === 0) {
    throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'a password is required')
  }
}
