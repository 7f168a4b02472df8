import type { Database, DatabaseOptions } from './db/index.ts'
import { SyncStateStore } from './sync/index.ts'
import { ErrorCodes, WeftError } from './errors.ts'
import { DEFAULT_KEY_ID, KeyBag, type PasswordKey } from './keys/index.ts'
import type { KeyValueStore, StoreFactory } from './store/index.ts'
import {
  createProfile,
  openSharedKey,
  RecordKeeper,
  sealSharedKey,
  TenantStorage,
  TrustKeeper,
  type DbLinkSpec,
  type Identity,
  type Partner,
  type PublicProfile,
  type TenantRecord,
} from './tenant/index.ts'
import { asDbName, type KeyId, type TenantId } from './types.ts'
import { TenantDatabases } from './TenantDatabases.ts'
import { fromBase64Url as fromB64, toBase64Url } from './codec/index.ts'
import { RelationshipStateStore, type SyncAuthority } from './orchestrator/index.ts'
import { SharingManager } from './sharing/index.ts'
import { serverSignerOf, type ServerSigner } from './crypto/index.ts'
import { AuditLog } from './audit/index.ts'
import {
  approveJoin,
  canWrite,
  createRecoveryKit,
  DIRECTORY_DB,
  MemberDirectory,
  type ApproveOptions,
  type JoinResponse,
  type MembersHost,
} from './members/index.ts'
import { Presence } from './presence/index.ts'

/** @internal What a tenant is built from; see {@link TenantFactory}. */
export interface TenantParts {
  readonly record: TenantRecord
  readonly recordKey: PasswordKey
  readonly records: KeyValueStore
  readonly recordName: string
  readonly storeFactory: StoreFactory
}

/**
 * An organisation: an identity (Ed25519 signing and X25519 box keys), a {@link KeyBag}, the
 * partners it trusts, and its databases. Its secrets are kept encrypted under its password.
 */
export class Tenant {
  readonly id: TenantId
  readonly keyBag: KeyBag
  readonly #identity: Identity
  readonly #trust: TrustKeeper
  readonly #record: RecordKeeper
  /** The Ed25519 key of the device that created the tenant: the directory's genesis signer. */
  readonly #root: Uint8Array
  /** Whether this tenant has a directory here (a joined or recovered device, or a root that started one). */
  #hasDirectory: boolean
  #members: MemberDirectory | undefined
  readonly #storage: TenantStorage
  readonly #databases: TenantDatabases
  #closed = false
  #clock: () => number = Date.now
  #sharing: SharingManager | undefined
  #audit: AuditLog | undefined
  #presence: Presence | undefined

  /** @internal Use `TenantFactory.createTenant` or `openTenant`. */
  constructor(parts: TenantParts) {
    const { record } = parts
    this.id = record.tenantId as TenantId
    this.#identity = record.identity
    this.#root = record.root ?? record.identity.signing.publicKey
    this.#hasDirectory = record.directory === true
    this.keyBag = KeyBag.fromRecord(record.keys)
    this.#trust = new TrustKeeper(this.id, record, () => this.#record.save())
    this.#record = new RecordKeeper(parts, {
      trust: this.#trust.policy,
      keyBag: this.keyBag,
      root: this.#root,
      directory: () => this.#hasDirectory,
    })
    this.keyBag.setPersistHook(() => this.#record.save())
    this.#storage = new TenantStorage(parts.storeFactory, this.id)
    this.#databases = new TenantDatabases({
      tenantId: this.id,
      signer: this.#identity.signing,
      keyBag: this.keyBag,
      trust: this.#trust,
      storage: this.#storage,
      loadTrust: () => this.sharing.loadTrust(),
      hasDirectory: () => this.#hasDirectory,
      loadDirectory: () => this.members.load(),
      presenceAdmits: (key) => this.#presenceAdmits(key),
    })
  }

  /** The admin's Ed25519 public key. */
  get signingKey(): Uint8Array {
    return this.#identity.signing.publicKey
  }

  /**
   * Signs for Weft servers with this tenant's identity (sign-in challenges and membership
   * registrations only, domain-separated from everything else it signs). A grant's relay space on
   * a server is reached this way: both tenants already know each other's identity keys.
   */
  serverSigner(): ServerSigner {
    const signer = serverSignerOf(this.#identity.signing)
    // A tenant with a directory proves its devices to a server with the directory's signed records.
    return {
      ...signer,
      directory: async (tenant) => (tenant === this.id && this.#hasDirectory ? this.members.membershipRecords() : []),
    }
  }

  /**
   * A signed, publishable description of this tenant for partners to trust: its member keys and,
   * once the directory is loaded (any database opened, or `tenant.members.list()`), the devices of
   * its admins and writers that are not removed, so a partner accepts entries from devices that
   * joined.
   */
  publicProfile(): PublicProfile {
    const keys = new Set(this.#trust.policy.members())
    const state = this.#hasDirectory ? this.#members?.state : undefined
    for (const d of state?.devices.values() ?? []) {
      const user = state!.users.get(d.userId)
      if (!d.removed && user && !user.removed && canWrite(user.role)) keys.add(d.id)
    }
    return createProfile(
      this.id,
      this.#identity,
      [...keys].map((m) => fromB64(m)),
    )
  }

  /**
   * Trusts a partner's signers for the listed databases: entries the partner created in its
   * database `remote` are accepted into our database `local` (a plain name means the same on both
   * sides). Calling it again replaces the links. Held entries are retried.
   */
  addPartner(profile: PublicProfile, options: { dbs: readonly DbLinkSpec[] }): Promise<void> {
    return this.#trust.addPartner(profile, options)
  }

  /** Stops trusting a partner; entries already materialised stay. */
  removePartner(tenantId: string): Promise<boolean> {
    return this.#trust.removePartner(tenantId)
  }

  /** The partners this tenant trusts, with their database links. */
  partners(): Partner[] {
    return this.#trust.policy.partners()
  }

  /**
   * Seals every version of a key to a partner's box key, signed by this tenant. The partner
   * imports it with {@link Tenant.acceptSharedKey}.
   */
  shareKey(keyId: string, partner: PublicProfile): Uint8Array {
    return sealSharedKey(this.keyBag, keyId, partner, this.#identity.signing)
  }

  /**
   * Imports a key sealed to this tenant by a trusted partner (or a member), under its own name or
   * `options.as`. `WEFT_UNTRUSTED_SIGNER` when the sender is not trusted.
   */
  acceptSharedKey(sealed: Uint8Array, options: { as?: string } = {}): Promise<KeyId> {
    return openSharedKey(this.keyBag, this.#trust.policy, this.#identity.box, sealed, options)
  }

  /**
   * Opens (or returns the already open) database `name`, loading its documents. Every call for a
   * name shares one database, so options are settled across calls whatever their order: an option
   * left out keeps what an earlier call chose, an option given is adopted if none chose it yet, and
   * one that differs from an earlier choice is refused with `WEFT_DB_OPTIONS_CONFLICT`. So the
   * orchestrator or sharing opening `orders` first (with no options) never makes the app's
   * `openDB('orders', { keyId: 'collab' })` put new documents under `default`.
   */
  openDB(name: string, options: DatabaseOptions = {}): Promise<Database> {
    if (this.#closed) return Promise.reject(new WeftError(ErrorCodes.CLOSED, `tenant ${this.id} is closed`))
    return this.#databases.open(name, options)
  }

  /**
   * Saved sync states of this tenant (cursors of `incrementalSync` / `syncFiltered`), kept in the
   * same storage backend so a sync resumes after a restart without re-sending.
   */
  async syncStates(): Promise<SyncStateStore> {
    return new SyncStateStore(await this.#storage.keyValueStore('weft-sync-states'), `${this.id}/`)
  }

  /**
   * Saved orchestrator relationship states of this tenant (enabled flag, counters, last error),
   * beside its sync states, so relationships resume after a restart.
   */
  async relationshipStates(): Promise<RelationshipStateStore> {
    return new RelationshipStateStore(await this.#storage.keyValueStore('weft-relationships'), `${this.id}/`)
  }

  /**
   * The tenant's directory of users and devices: list them, change roles, remove devices and
   * users. See docs/devices.md.
   */
  get members(): MemberDirectory {
    return (this.#members ??= new MemberDirectory(this.#membersHost()))
  }

  /**
   * Admits a device's join request (`factory.createJoinRequest` on the new device): registers it
   * in the directory, signed by this admin device, and seals the tenant's keys to it. Hand the
   * response to `factory.joinTenant` on the new device.
   */
  approveJoinRequest(request: unknown, options: ApproveOptions = {}): Promise<JoinResponse> {
    return approveJoin(this.members, this.#membersHost(), request, options)
  }

  /**
   * Makes a recovery code (printable, high-entropy, shown once, stored nowhere) that lets
   * `factory.recoverTenant` re-establish an admin device when every password is lost. A new
   * code replaces the previous one.
   */
  createRecoveryKit(): Promise<string> {
    return createRecoveryKit(this.members, this.#membersHost())
  }

  /**
   * Changes the password of this device's local record (other devices keep theirs).
   * `WEFT_WRONG_PASSWORD`, changing nothing, when `oldPassword` is not the current one.
   */
  changePassword(oldPassword: string, newPassword: string): Promise<void> {
    return this.#record.changePassword(oldPassword, newPassword)
  }

  #membersHost(): MembersHost {
    return {
      tenantId: this.id,
      identity: this.#identity,
      root: this.#root,
      keyBag: this.keyBag,
      trust: this.#trust.policy,
      openDirectoryStore: () => this.#storage.changeStore(asDbName(DIRECTORY_DB)),
      databaseStores: () => {
        const names = this.#databases.names().filter((n) => n !== DIRECTORY_DB)
        return Promise.all(names.map((n) => this.#storage.changeStore(n)))
      },
      trustChanged: () => this.#trust.changed(),
      ownKeyIds: async () => {
        const received = new Set(await this.sharing.receivedKeyNames())
        return this.keyBag.keyIds().filter((k) => !received.has(k))
      },
      directoryStarted: () => {
        this.#hasDirectory = true
        return this.#record.save()
      },
    }
  }

  /** Grants this tenant issued and accepted: share, accept, approve, revoke, list shared documents. */
  get sharing(): SharingManager {
    return (this.#sharing ??= new SharingManager({
      tenantId: this.id,
      signer: this.#identity.signing,
      box: this.#identity.box,
      keyBag: this.keyBag,
      audit: this.audit,
      now: () => this.#clock(),
      publicProfile: () => this.publicProfile(),
      partners: () => this.partners(),
      addPartner: (profile, options) => this.addPartner(profile, options),
      openDB: (name) => this.openDB(name),
      openRecords: () => this.#storage.records('weft-grants'),
      openTrustRecords: () => this.#storage.records('weft-trust-cutoffs'),
      openStore: (name) => this.#storage.changeStore(asDbName(name)),
      setTrustCutoffs: (cutoffs) => this.#trust.setCutoffs(cutoffs),
      setVouches: (vouches) => this.#trust.setVouches(vouches),
    }))
  }

  /**
   * Ephemeral "who is here" across the whole tenant (not tied to a database): like
   * `db.presence`, encrypted under the `default` key every member holds. See docs/api-guide.md.
   */
  get presence(): Presence {
    if (!this.#presence) {
      this.#presence = new Presence({
        tenantId: this.id,
        scope: '',
        signer: this.#identity.signing,
        keyBag: this.keyBag,
        keyId: () => DEFAULT_KEY_ID,
        admits: (key) => this.#presenceAdmits(key),
      })
      this.#trust.onChange(async () => this.#presence?.recheck())
      if (this.#closed) this.#presence.close()
    }
    return this.#presence
  }

  /**
   * Whether a device may take part in presence: with a directory, a device in it that is not
   * removed (and whose user is not); without one, a member of the tenant record.
   */
  #presenceAdmits(key: Uint8Array): boolean {
    const state = this.#hasDirectory ? this.#members?.state : undefined
    if (!state) return this.#trust.policy.isMember(key)
    const d = state.devices.get(toBase64Url(key))
    const user = d && state.users.get(d.userId)
    return d !== undefined && !d.removed && user !== undefined && !user.removed
  }

  /** This tenant's signed, hash-chained audit trail of sharing and sync events. */
  get audit(): AuditLog {
    return (this.#audit ??= new AuditLog({
      tenantId: this.id,
      signer: this.#identity.signing,
      now: () => this.#clock(),
      openRecords: () => this.#storage.records('weft-audit'),
    }))
  }

  /** @internal The orchestrator's hook: grants are checked by {@link Tenant.sharing}. */
  get syncAuthority(): SyncAuthority {
    return this.sharing.syncAuthority
  }

  /** This tenant's time, in milliseconds since the epoch: grant expiry and audit timestamps use it. */
  now(): number {
    return this.#clock()
  }

  /**
   * Replaces this tenant's clock (tests, simulations). Entries' `createdAt` is not affected, and
   * is never used for authorization or expiry.
   */
  setClock(clock: () => number): void {
    this.#clock = clock
  }

  /** Closes every database this tenant opened. */
  async close(): Promise<void> {
    this.#closed = true
    this.#presence?.close()
    this.#members?.close()
    await this.#databases.close()
  }
}
