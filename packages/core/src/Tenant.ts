import { Database, type DatabaseOptions } from './db/index.ts'
import { SyncStateStore } from './sync/index.ts'
import { ErrorCodes, WeftError } from './errors.ts'
import { KeyBag, openSealedKeyVersions, sealKeyVersions, type PasswordKey } from './keys/index.ts'
import { Mutex, type ChangeStore, type KeyValueStore, type StoreFactory } from './store/index.ts'
import {
  createProfile,
  sealTenantRecord,
  TrustPolicy,
  verifyProfile,
  type DbLinkSpec,
  type Identity,
  type Partner,
  type PublicProfile,
  type TenantRecord,
  type TrustCutoffs,
  type Vouches,
} from './tenant/index.ts'
import { asDbName, asKeyId, type DbName, type KeyId, type TenantId } from './types.ts'
import {
  bytesEqual,
  canonicalTextProblem,
  concatBytes,
  fromBase64Url as fromB64,
  toBase64Url,
  toHex,
  utf8,
} from './codec/index.ts'
import { RelationshipStateStore, type SyncAuthority } from './orchestrator/index.ts'
import { SharingManager } from './sharing/index.ts'
import { blake2b, Domain, serverSignerOf, type ServerSigner } from './crypto/index.ts'
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
import { newRecordKey, openTenantRecord } from './tenant/index.ts'
import { DEFAULT_KEY_ID } from './keys/index.ts'
import { Presence } from './presence/index.ts'

/** @internal What a tenant is built from; see {@link TenantFactory}. */
export interface TenantParts {
  readonly record: TenantRecord
  readonly recordKey: PasswordKey
  readonly records: KeyValueStore
  readonly recordName: string
  readonly storeFactory: StoreFactory
}

const DB_NAME = /^[^\u0000-\u001f/]{1,128}$/

/**
 * An organisation: an identity (Ed25519 signing and X25519 box keys), a {@link KeyBag}, the
 * partners it trusts, and its databases. Its secrets are kept encrypted under its password.
 */
export class Tenant {
  readonly id: TenantId
  readonly keyBag: KeyBag
  readonly #identity: Identity
  readonly #trust: TrustPolicy
  readonly #parts: TenantParts
  /** The Ed25519 key of the device that created the tenant: the directory's genesis signer. */
  readonly #root: Uint8Array
  #recordKey: PasswordKey
  /** Whether this tenant has a directory here (a joined or recovered device, or a root that started one). */
  #hasDirectory: boolean
  #members: MemberDirectory | undefined
  readonly #createdAt: number
  readonly #dbs = new Map<DbName, Promise<Database>>()
  readonly #trustListeners = new Set<() => Promise<void>>()
  readonly #saveLock = new Mutex()
  /** Counts trust changes, so a database that was opening while one happened retries its held entries. */
  #trustVersion = 0
  #closed = false
  #clock: () => number = Date.now
  #sharing: SharingManager | undefined
  #audit: AuditLog | undefined
  #presence: Presence | undefined

  /** @internal Use `TenantFactory.createTenant` or `openTenant`. */
  constructor(parts: TenantParts) {
    const { record } = parts
    this.id = record.tenantId as TenantId
    this.#parts = parts
    this.#identity = record.identity
    this.#root = record.root ?? record.identity.signing.publicKey
    this.#recordKey = parts.recordKey
    this.#hasDirectory = record.directory === true
    this.#createdAt = record.createdAt
    this.keyBag = KeyBag.fromRecord(record.keys)
    this.#trust = new TrustPolicy(this.id, record.members)
    for (const p of record.partners) this.#trust.setPartner(verifyProfile(p.profile), p.links)
    this.keyBag.setPersistHook(() => this.#save())
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
    const keys = new Set(this.#trust.members())
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
  async addPartner(profile: PublicProfile, options: { dbs: readonly DbLinkSpec[] }): Promise<void> {
    const verified = verifyProfile(profile)
    if (verified.tenantId === this.id)
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'a tenant cannot partner with itself')
    this.#trust.setPartner(verified, options.dbs)
    await this.#save()
    await this.#trustChanged()
  }

  /** Stops trusting a partner; entries already materialised stay. */
  async removePartner(tenantId: string): Promise<boolean> {
    const removed = this.#trust.removePartner(tenantId as TenantId)
    if (removed) await this.#save()
    return removed
  }

  /** The partners this tenant trusts, with their database links. */
  partners(): Partner[] {
    return this.#trust.partners()
  }

  /**
   * Seals every version of a key to a partner's box key, signed by this tenant. The partner
   * imports it with {@link Tenant.acceptSharedKey}.
   */
  shareKey(keyId: string, partner: PublicProfile): Uint8Array {
    const verified = verifyProfile(partner)
    const versions = this.keyBag.versions(keyId)
    if (versions.length === 0) throw new WeftError(ErrorCodes.KEY_NOT_FOUND, `no key named ${keyId}`)
    return sealKeyVersions(keyId, versions, verified.boxKey, this.#identity.signing)
  }

  /**
   * Imports a key sealed to this tenant by a trusted partner (or a member), under its own name or
   * `options.as`. `WEFT_UNTRUSTED_SIGNER` when the sender is not trusted.
   */
  async acceptSharedKey(sealed: Uint8Array, options: { as?: string } = {}): Promise<KeyId> {
    const opened = openSealedKeyVersions(sealed, this.#identity.box)
    const sender = toBase64Url(opened.sender)
    const trusted =
      this.#trust.members().includes(sender) ||
      this.#trust
        .partners()
        .some((p) => bytesEqual(p.profile.signingKey, opened.sender) || p.profile.profile.members.includes(sender))
    if (!trusted)
      throw new WeftError(ErrorCodes.UNTRUSTED_SIGNER, 'sealed key comes from a tenant that is not a partner')
    return this.keyBag.addVersions(asKeyId(options.as ?? opened.keyId), opened.versions)
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
    if (!DB_NAME.test(name) || new TextEncoder().encode(name).length > 128 || canonicalTextProblem(name)) {
      return Promise.reject(
        new WeftError(
          ErrorCodes.INVALID_ARGUMENT,
          'database names are 1-128 bytes of NFC text without /, a byte-order mark or control characters',
        ),
      )
    }
    const dbName = asDbName(name)
    const open = this.#dbs.get(dbName)
    if (open) {
      return open.then((db) => {
        db.adoptOptions(options)
        return db
      })
    }
    const db = this.#openDatabase(dbName, options)
    this.#dbs.set(dbName, db)
    db.catch(() => this.#dbs.delete(dbName))
    return db
  }

  /**
   * Opens a database once every trust rule is in force (the cut-offs of ended write grants are
   * loaded with the grant records first), so it never materialises an entry it should hold.
   */
  async #openDatabase(dbName: DbName, options: DatabaseOptions): Promise<Database> {
    await this.sharing.loadTrust()
    if (this.#hasDirectory) await this.members.load()
    const store = await this.#openStore(dbName)
    const index = await this.#parts.storeFactory.openKeyValueStore('weft-db-index')
    const trustVersion = this.#trustVersion
    const db = await Database.open(
      {
        tenantId: this.id,
        signer: this.#identity.signing,
        keyBag: this.keyBag,
        trust: this.#trust,
        mayWrite: () => this.#trust.isMember(this.#identity.signing.publicKey),
        presenceAdmits: (key) => this.#presenceAdmits(key),
        onTrustChange: (l) => {
          this.#trustListeners.add(l)
          return () => this.#trustListeners.delete(l)
        },
        index: { kv: index, prefix: `${this.id}/${dbName}/${this.#device()}/`, key: this.#indexKey() },
      },
      store,
      dbName,
      options,
    )
    // Trust changed while it loaded, before it listened: retry what it held.
    if (this.#trustVersion !== trustVersion) await db.retryHeld()
    return db
  }

  /** This device's short name in record keys (each device keeps its own database indexes). */
  #device(): string {
    return toHex(blake2b(this.#identity.signing.publicKey, 8))
  }

  /** The key this device's database indexes are sealed under, derived from its signing key. */
  #indexKey(): Uint8Array {
    return blake2b(concatBytes(utf8(Domain.dbIndexKey), this.#identity.signing.privateKey), 32)
  }

  #openStore(dbName: DbName): Promise<ChangeStore> {
    return this.#parts.storeFactory.openChangeStore(`${this.id}/${dbName}`)
  }

  /**
   * Saved sync states of this tenant (cursors of `incrementalSync` / `syncFiltered`), kept in the
   * same storage backend so a sync resumes after a restart without re-sending.
   */
  async syncStates(): Promise<SyncStateStore> {
    return new SyncStateStore(await this.#parts.storeFactory.openKeyValueStore('weft-sync-states'), `${this.id}/`)
  }

  /**
   * Saved orchestrator relationship states of this tenant (enabled flag, counters, last error),
   * beside its sync states, so relationships resume after a restart.
   */
  async relationshipStates(): Promise<RelationshipStateStore> {
    return new RelationshipStateStore(
      await this.#parts.storeFactory.openKeyValueStore('weft-relationships'),
      `${this.id}/`,
    )
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
  async changePassword(oldPassword: string, newPassword: string): Promise<void> {
    if (typeof newPassword !== 'string' || newPassword.length === 0)
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'a password is required')
    const sealed = await this.#parts.records.get(this.#parts.recordName)
    if (!sealed) throw new WeftError(ErrorCodes.TENANT_NOT_FOUND, `no tenant ${this.id}`)
    openTenantRecord(sealed, oldPassword)
    this.#recordKey = newRecordKey(newPassword, this.#recordKey.kdf)
    await this.#save()
  }

  #membersHost(): MembersHost {
    return {
      tenantId: this.id,
      identity: this.#identity,
      root: this.#root,
      keyBag: this.keyBag,
      trust: this.#trust,
      openDirectoryStore: () => this.#openStore(asDbName(DIRECTORY_DB)),
      databaseStores: () =>
        Promise.all([...this.#dbs.keys()].filter((n) => n !== DIRECTORY_DB).map((n) => this.#openStore(n))),
      trustChanged: () => this.#trustChanged(),
      ownKeyIds: async () => {
        const received = new Set(await this.sharing.receivedKeyNames())
        return this.keyBag.keyIds().filter((k) => !received.has(k))
      },
      directoryStarted: () => {
        this.#hasDirectory = true
        return this.#save()
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
      openRecords: async () => ({
        kv: await this.#parts.storeFactory.openKeyValueStore('weft-grants'),
        prefix: `${this.id}/`,
      }),
      openTrustRecords: async () => ({
        kv: await this.#parts.storeFactory.openKeyValueStore('weft-trust-cutoffs'),
        prefix: `${this.id}/`,
      }),
      openStore: (name) => this.#openStore(asDbName(name)),
      setTrustCutoffs: (cutoffs) => this.#setTrustCutoffs(cutoffs),
      setVouches: (vouches) => this.#setVouches(vouches),
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
      this.#trustListeners.add(async () => this.#presence?.recheck())
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
    if (!state) return this.#trust.isMember(key)
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
      openRecords: async () => ({
        kv: await this.#parts.storeFactory.openKeyValueStore('weft-audit'),
        prefix: `${this.id}/`,
      }),
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
    const dbs = await Promise.allSettled(this.#dbs.values())
    for (const d of dbs) if (d.status === 'fulfilled') await d.value.close()
    this.#dbs.clear()
  }

  async #trustChanged(): Promise<void> {
    this.#trustVersion++
    await Promise.all([...this.#trustListeners].map((l) => l()))
  }

  async #setTrustCutoffs(cutoffs: TrustCutoffs): Promise<void> {
    if (cutoffs.size === 0 && this.#trust.cutoffs().size === 0) return
    this.#trust.setCutoffs(cutoffs)
    await this.#trustChanged()
  }

  async #setVouches(vouches: Vouches): Promise<void> {
    if (vouches.size === 0 && this.#trust.vouches().size === 0) return
    this.#trust.setVouches(vouches)
    await this.#trustChanged()
  }

  #save(): Promise<void> {
    return this.#saveLock.run(async () => {
      const record: TenantRecord = {
        v: 1,
        tenantId: this.id,
        identity: this.#identity,
        members: this.#trust.members().map(fromB64),
        keys: this.keyBag.toRecord(),
        partners: this.#trust
          .partners()
          .map((p) => ({ profile: p.profile.profile, links: p.links.map((l) => ({ ...l })) })),
        createdAt: this.#createdAt,
        root: this.#root,
        directory: this.#hasDirectory,
      }
      await this.#parts.records.put(this.#parts.recordName, sealTenantRecord(record, this.#recordKey))
    })
  }
}
