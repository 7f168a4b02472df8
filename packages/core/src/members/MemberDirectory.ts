import { bytesEqual, toBase64Url, toHex } from '../codec/index.ts'
import { randomBytes } from '../crypto/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import { sealKeyVersions, type KeyBag } from '../keys/index.ts'
import { Mutex, type ChangeStore } from '../store/index.ts'
import type { DeviceTrust, Identity, TrustPolicy } from '../tenant/index.ts'
import type { ChangeHash, TenantId } from '../types.ts'
import { appendRecord } from './directoryEntries.ts'
import { DirectoryReader } from './DirectoryReader.ts'
import { entriesByDevice } from './entriesByDevice.ts'
import type { DirectoryState } from './foldDirectory.ts'
import { createMemberRecord, type DirectoryOp } from './MemberRecord.ts'
import { canWrite, isRole, type Role } from './roles.ts'

/** What the directory needs from its tenant. */
export interface MembersHost {
  readonly tenantId: TenantId
  readonly identity: Identity
  /** The Ed25519 key of the device that created the tenant: the directory's genesis signer. */
  readonly root: Uint8Array
  readonly keyBag: KeyBag
  readonly trust: TrustPolicy
  openDirectoryStore(): Promise<ChangeStore>
  /** The stores of every other database this device has opened: where removals count entries. */
  databaseStores(): Promise<ChangeStore[]>
  /** Tells the tenant's databases to retry held entries. */
  trustChanged(): Promise<void>
  /** The keys this tenant owns (not a partner's it was given): rotated when a device is removed. */
  ownKeyIds(): Promise<string[]>
  /** The root device wrote the genesis: from now on the tenant reads its directory before its databases. */
  directoryStarted(): Promise<void>
}

/** A device in {@link MemberInfo}. */
export interface MemberDeviceInfo {
  /** Its Ed25519 public key, base64url. */
  readonly deviceId: string
  readonly removed: boolean
  /** True for the device this tenant runs on. */
  readonly self: boolean
}

/** A row of {@link MemberDirectory.list}. */
export interface MemberInfo {
  readonly userId: string
  readonly name: string
  readonly role: Role
  readonly removed: boolean
  readonly devices: readonly MemberDeviceInfo[]
}

/** What the last {@link MemberDirectory.refresh} made of the directory. */
export interface DirectoryReport {
  /** Records refused (`WEFT_MEMBER_RECORD_REFUSED`): forged, malformed, or not signed by an admin. */
  readonly refused: ReadonlyArray<{ readonly id: string; readonly error: WeftError }>
  /** Directory entries this device cannot read yet (their key version has not reached it). */
  readonly locked: number
}

/**
 * A tenant's directory of users and devices (`tenant.members`): signed records in the database
 * `_directory`, folded the same way on every device. Only a device of an admin changes it; every
 * device reads it, and the tenant's databases materialise a device's entries only as its
 * {@link DeviceTrust} allows.
 */
export class MemberDirectory {
  readonly #host: MembersHost
  readonly #lock = new Mutex()
  readonly #reader: DirectoryReader
  #store: ChangeStore | undefined
  #loading: Promise<void> | undefined
  readonly #unsubscribe: (() => void)[] = []

  /** @internal Use `tenant.members`. */
  constructor(host: MembersHost) {
    this.#host = host
    this.#reader = new DirectoryReader(host)
  }

  /** @internal Reads the directory and puts its device trust in force; once per tenant. */
  load(): Promise<void> {
    return (this.#loading ??= (async () => {
      const store = await this.#host.openDirectoryStore()
      this.#store = store
      await this.refresh()
      // Records that arrive later (a sync) or become readable (a key) apply by themselves.
      this.#unsubscribe.push(
        store.subscribe(() => void this.refresh().catch(() => undefined)),
        this.#host.keyBag.subscribe(
          () => void (this.#reader.lockedCount ? this.refresh().catch(() => undefined) : undefined),
        ),
      )
    })())
  }

  /**
   * Reads directory entries that arrived since the last call, folds every record, and puts the
   * result in force. Returns the records it refused.
   */
  refresh(): Promise<DirectoryReport> {
    return this.#lock.run(async () => {
      const store = this.#store ?? (await this.#host.openDirectoryStore())
      this.#store = store
      // Keys a record hands this device may open entries that were locked: read those again.
      for (let round = 0; round < 1_000; round++) {
        const before = this.#reader.lockedCount
        const keysAdded = await this.#reader.readNew(store)
        if (!keysAdded || this.#reader.lockedCount === 0 || this.#reader.lockedCount >= before) break
      }
      return this.#reader.report()
    })
  }

  /** @internal Stops following the directory store and the key bag (the tenant closes). */
  close(): void {
    for (const u of this.#unsubscribe.splice(0)) u()
  }

  /** Users with their devices, removed ones included. */
  async list(): Promise<MemberInfo[]> {
    await this.load()
    const me = toBase64Url(this.#host.identity.signing.publicKey)
    return [...this.#reader.state.users.values()].map((u) => ({
      userId: u.id,
      name: u.name,
      role: u.role,
      removed: u.removed,
      devices: [...this.#reader.state.devices.values()]
        .filter((d) => d.userId === u.id)
        .map((d) => ({ deviceId: d.id, removed: d.removed, self: d.id === me })),
    }))
  }

  /** This device's user and role, or undefined before the device is in the directory. */
  async self(): Promise<{ userId: string; role: Role; deviceId: string } | undefined> {
    await this.load()
    const d = this.#reader.state.devices.get(toBase64Url(this.#host.identity.signing.publicKey))
    const u = d && this.#reader.state.users.get(d.userId)
    return d && u && !d.removed && !u.removed ? { userId: u.id, role: u.role, deviceId: d.id } : undefined
  }

  /**
   * Changes a user's role. Demoting to `reader` keeps trusted only the entries its devices wrote
   * that this device holds now; promoting keeps untrusted what they wrote as readers.
   * `WEFT_NOT_ADMIN` unless this device's user is an admin.
   */
  async setRole(userId: string, role: Role): Promise<void> {
    if (!isRole(role))
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `roles are admin, writer or reader, not ${JSON.stringify(role)}`)
    await this.#change(async (state) => {
      const user = this.#userOrThrow(state, userId)
      const devices = [...state.devices.values()].filter((d) => d.userId === user.id && !d.removed)
      const ids = devices.map((d) => d.id)
      // Demotion: what they wrote that counts now keeps counting. Promotion: what did not count stays out.
      const hashes =
        canWrite(user.role) === canWrite(role) ? [] : await this.#held(ids, canWrite(role) ? 'untrusted' : 'trusted')
      return { op: 'set-role', userId: user.id, role, hashes }
    })
  }

  /**
   * Removes a device: its entries this device holds now stay trusted, nothing it writes later is
   * materialised, and every key the tenant holds is rotated (the new versions sealed to the
   * remaining devices), so it cannot read what is written from now on.
   */
  async removeDevice(deviceId: string): Promise<void> {
    await this.#change(async (state) => {
      const d = state.devices.get(deviceId)
      if (!d || d.removed) throw new WeftError(ErrorCodes.MEMBER_NOT_FOUND, `no device ${deviceId} in the directory`)
      if (d.id === this.#selfId())
        throw new WeftError(
          ErrorCodes.INVALID_ARGUMENT,
          'a device cannot remove itself: remove it from another admin device',
        )
      return { op: 'remove-device', device: d.id, hashes: await this.#held([d.id]) }
    })
    await this.#rotateKeys()
  }

  /** Removes a user and every device of it, as {@link MemberDirectory.removeDevice} does for each. */
  async removeUser(userId: string): Promise<void> {
    await this.#change(async (state) => {
      const user = this.#userOrThrow(state, userId)
      if (state.devices.get(this.#selfId())?.userId === user.id)
        throw new WeftError(
          ErrorCodes.INVALID_ARGUMENT,
          'an admin cannot remove its own user: do it from another admin',
        )
      const ids = [...state.devices.values()].filter((d) => d.userId === user.id && !d.removed).map((d) => d.id)
      return { op: 'remove-user', userId: user.id, hashes: await this.#held(ids) }
    })
    await this.#rotateKeys()
  }

  /** @internal Writes an `add-device` record (join approval, recovery kit). */
  async addDevice(op: Extract<DirectoryOp, { op: 'add-device' }>): Promise<void> {
    await this.#change(async (state) => {
      if (state.joinIds.has(op.joinId))
        throw new WeftError(ErrorCodes.JOIN_REPLAYED, 'this join request was already approved')
      if (state.devices.has(toBase64Url(op.device.key)))
        throw new WeftError(ErrorCodes.JOIN_REPLAYED, 'this device is already in the directory')
      if (state.users.has(op.userId) && state.users.get(op.userId)!.removed)
        throw new WeftError(ErrorCodes.MEMBER_NOT_FOUND, `user ${op.userId} was removed`)
      return op
    })
  }

  /**
   * The signed membership records (genesis, devices added, roles set, devices and users removed;
   * not the `keys` records) that the directory applies now, in fold order: what a server needs to
   * admit the tenant's devices. They name users, display names, device public keys and roles, and
   * nothing secret. While the directory is still loading, the records read so far.
   */
  async membershipRecords(): Promise<string[]> {
    // Loads the directory if nothing has started to. A load under way is not awaited: it may be
    // waiting for the very server connection that asks (a directory store on that server).
    if (!this.#loading) await this.load()
    return this.#reader.membershipRecords()
  }

  /** @internal The directory as folded now. */
  get state(): DirectoryState {
    return this.#reader.state
  }

  /** @internal Checks this device may change the directory; writes the genesis first if it is the root. */
  async requireAdmin(): Promise<DirectoryState> {
    await this.load()
    if (this.#reader.state.devices.size === 0 && bytesEqual(this.#host.identity.signing.publicKey, this.#host.root)) {
      await this.#write({
        op: 'genesis',
        userId: toHex(randomBytes(16)),
        name: 'admin',
        device: { key: this.#host.root, box: this.#host.identity.box.publicKey },
      })
      await this.#host.directoryStarted()
    }
    const d = this.#reader.state.devices.get(toBase64Url(this.#host.identity.signing.publicKey))
    if (!d || d.removed || this.#reader.state.users.get(d.userId)?.role !== 'admin') {
      throw new WeftError(ErrorCodes.NOT_ADMIN, 'only a device of an admin may change the tenant directory')
    }
    return this.#reader.state
  }

  async #change(make: (state: DirectoryState) => Promise<DirectoryOp>): Promise<void> {
    const state = await this.requireAdmin()
    await this.#write(await make(state))
  }

  async #write(op: DirectoryOp, keyVersion?: number): Promise<void> {
    const { identity, tenantId, keyBag } = this.#host
    const record = createMemberRecord(
      op,
      { tenant: tenantId, lamport: this.#reader.state.lamport + 1, nonce: randomBytes(16) },
      identity.signing,
    )
    await appendRecord(this.#store ?? (await this.#host.openDirectoryStore()), record, {
      tenantId,
      keyBag,
      signer: identity.signing,
      keyVersion,
    })
    await this.refresh()
  }

  /**
   * Rotates every key the tenant owns (a partner's key is the partner's to rotate) and seals every
   * key's versions to every remaining device. The record that carries
   * them is encrypted under the `default` version before the rotation, which they all hold.
   */
  async #rotateKeys(): Promise<void> {
    const { keyBag, identity } = this.#host
    const before = keyBag.current('default').version
    for (const id of await this.#host.ownKeyIds()) await keyBag.rotateKey(id)
    const me = toBase64Url(identity.signing.publicKey)
    const sealed: [string, Uint8Array[]][] = []
    for (const d of this.#reader.state.devices.values()) {
      if (d.removed || d.id === me) continue
      sealed.push([
        d.id,
        keyBag.keyIds().map((k) => sealKeyVersions(k, keyBag.versions(k), d.boxKey, identity.signing)),
      ])
    }
    await this.#write({ op: 'keys', sealed }, before)
  }

  /** Entries each device signed, as held now, that its trust allows (or, with `untrusted`, does not). */
  async #held(
    deviceIds: readonly string[],
    which: 'trusted' | 'untrusted' = 'trusted',
  ): Promise<[string, ChangeHash[]][]> {
    const found = await entriesByDevice(await this.#host.databaseStores(), new Set(deviceIds))
    return [...found].map(([id, hashes]) => [
      id,
      hashes.filter((h) => allows(this.#reader.state.devices.get(id)?.trust, h) === (which === 'trusted')),
    ])
  }

  #selfId(): string {
    return toBase64Url(this.#host.identity.signing.publicKey)
  }

  #userOrThrow(state: DirectoryState, userId: string): { id: string; role: Role } {
    const user = state.users.get(userId)
    if (!user || user.removed) throw new WeftError(ErrorCodes.MEMBER_NOT_FOUND, `no user ${userId} in the directory`)
    return user
  }
}

function allows(trust: DeviceTrust | undefined, hash: ChangeHash): boolean {
  if (!trust) return false
  return trust.mode === 'except' ? !trust.hashes.has(hash) : trust.hashes.has(hash)
}
