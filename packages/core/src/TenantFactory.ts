import { DEFAULT_KDF, generateKey, ready, type KdfParams } from './crypto/index.ts'
import { ErrorCodes, WeftError } from './errors.ts'
import { KeyBag, protectKeyVersions } from './keys/index.ts'
import { MemoryStoreFactory, Mutex, type KeyValueStore, type StoreFactory } from './store/index.ts'
import { Tenant } from './Tenant.ts'
import {
  createJoinRequest,
  DIRECTORY_DB,
  findRecoveryKit,
  joinedRecord,
  parseJoinRequest,
  recoveryKeys,
  seedDirectory,
  type JoinRequest,
} from './members/index.ts'
import { copyMissingEntries } from './store/index.ts'
import {
  generateIdentity,
  newRecordKey,
  openTenantRecord,
  sealTenantRecord,
  toTenantId,
  type TenantRecord,
  type TenantScope,
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
const joinName = (id: string, joinId: string): string => `join/${id}/${joinId}`

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
      if (await records.get(recordName(tenantId)))
        throw new WeftError(ErrorCodes.TENANT_EXISTS, `tenant ${tenantId} exists`)
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
      return this.#withClock(
        new Tenant({ record, recordKey, records, recordName: recordName(tenantId), storeFactory: this.#storeFactory }),
      )
    })
  }

  /**
   * Starts joining an existing tenant from this device: makes the device's keys, keeps them here
   * under `password`, and returns the request to hand an admin (plain JSON; `joinRequestToString`
   * gives the `weft://join/...` text). The admin answers with `tenant.approveJoinRequest`.
   */
  async createJoinRequest(options: {
    tenantId: string | TenantScope
    userName: string
    password: string
  }): Promise<JoinRequest> {
    await ready()
    const tenantId = toTenantId(options.tenantId)
    checkPassword(options.password)
    if (typeof options.userName !== 'string' || options.userName.length > 256)
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'a user name is 0-256 characters')
    const identity = generateIdentity()
    const request = createJoinRequest(tenantId, options.userName, identity)
    const pending: TenantRecord = {
      v: 1,
      tenantId,
      identity,
      members: [identity.signing.publicKey],
      keys: [],
      partners: [],
      createdAt: Date.now(),
    }
    const records = await this.#recordStore()
    await records.put(
      joinName(tenantId, parseJoinRequest(request).joinId),
      sealTenantRecord(pending, newRecordKey(options.password, this.#kdf)),
    )
    return request
  }

  /**
   * Finishes a join on the device that made `request`, with the admin's `response`: the tenant
   * opens here with the keys and directory the response carries; sync its databases from another
   * device or a server next. `WEFT_BAD_JOIN_REQUEST` for a tampered or mismatched request or
   * response, `WEFT_JOIN_REPLAYED` when this request was already used here, `WEFT_WRONG_PASSWORD`.
   */
  joinTenant(request: unknown, response: unknown, options: { password: string }): Promise<Tenant> {
    return this.#lock.run(async () => {
      await ready()
      const req = parseJoinRequest(request)
      const tenantId = toTenantId(req.request.tenantId)
      const records = await this.#recordStore()
      const sealed = await records.get(joinName(tenantId, req.joinId))
      if (!sealed)
        throw new WeftError(ErrorCodes.JOIN_REPLAYED, 'this join request was already used here, or was not made here')
      const { record: pending, key } = openTenantRecord(sealed, options.password)
      if (await records.get(recordName(tenantId)))
        throw new WeftError(ErrorCodes.TENANT_EXISTS, `tenant ${tenantId} exists`)
      const { record, response: checked } = await joinedRecord(pending, req, response, Date.now())
      await seedDirectory(await this.#storeFactory.openChangeStore(`${tenantId}/${DIRECTORY_DB}`), checked)
      const tenant = this.#withClock(
        new Tenant({
          record,
          recordKey: key,
          records,
          recordName: recordName(tenantId),
          storeFactory: this.#storeFactory,
        }),
      )
      await records.put(recordName(tenantId), sealTenantRecord(record, key))
      await records.delete(joinName(tenantId, req.joinId))
      return tenant
    })
  }

  /**
   * Re-establishes an admin device of a tenant when every password is lost, from a recovery code
   * (`tenant.createRecoveryKit`) and `from`: any storage holding the tenant's directory database
   * (another device's store factory, a server's). The tenant opens here under `newPassword`; sync
   * its databases from `from` next. `WEFT_BAD_RECOVERY_CODE` for a wrong or replaced code.
   */
  recoverTenant(options: {
    tenantId: string | TenantScope
    recoveryCode: string
    newPassword: string
    from: StoreFactory
  }): Promise<Tenant> {
    return this.#lock.run(async () => {
      await ready()
      const tenantId = toTenantId(options.tenantId)
      checkPassword(options.newPassword)
      const keys = recoveryKeys(options.recoveryCode)
      const source = await options.from.openChangeStore(`${tenantId}/${DIRECTORY_DB}`)
      const kit = await findRecoveryKit(source, keys.kitKey)
      const records = await this.#recordStore()
      if (await records.get(recordName(tenantId)))
        throw new WeftError(ErrorCodes.TENANT_EXISTS, `tenant ${tenantId} exists`)
      const identity = { signing: keys.signing, box: keys.box }
      const record: TenantRecord = {
        v: 1,
        tenantId,
        identity,
        members: [kit.root, identity.signing.publicKey],
        keys: kit.keys,
        partners: [],
        createdAt: Date.now(),
        root: kit.root,
        directory: true,
      }
      await copyMissingEntries(source, await this.#storeFactory.openChangeStore(`${tenantId}/${DIRECTORY_DB}`))
      const recordKey = newRecordKey(options.newPassword, this.#kdf)
      const tenant = this.#withClock(
        new Tenant({ record, recordKey, records, recordName: recordName(tenantId), storeFactory: this.#storeFactory }),
      )
      await tenant.members.refresh()
      if ((await tenant.members.self())?.role !== 'admin')
        throw new WeftError(ErrorCodes.BAD_RECOVERY_CODE, 'this recovery code was replaced by a newer one')
      await records.put(
        recordName(tenantId),
        sealTenantRecord({ ...record, keys: tenant.keyBag.toRecord() }, recordKey),
      )
      return tenant
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
    if (record.tenantId !== id)
      throw new WeftError(ErrorCodes.MALFORMED_BLOB, 'tenant record belongs to another tenant')
    return this.#withClock(
      new Tenant({ record, recordKey: key, records, recordName: recordName(id), storeFactory: this.#storeFactory }),
    )
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

  /** The ids of the tenants this storage holds, sorted (their records stay sealed). */
  async listTenants(): Promise<string[]> {
    const prefix = recordName('')
    return (await (await this.#recordStore()).keys(prefix)).map((k) => k.slice(prefix.length))
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
