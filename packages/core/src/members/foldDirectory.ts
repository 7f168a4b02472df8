import { toBase64Url } from '../codec/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import type { DeviceTrust } from '../tenant/index.ts'
import type { ChangeHash } from '../types.ts'
import type { HashesByDevice, VerifiedRecord } from './MemberRecord.ts'
import { canWrite, isRole, type Role } from './roles.ts'

/** A user as the directory knows it. */
export interface MemberUser {
  readonly id: string
  readonly name: string
  readonly role: Role
  readonly removed: boolean
}

/** A device as the directory knows it. */
export interface MemberDevice {
  /** The device id: its Ed25519 public key, base64url. */
  readonly id: string
  readonly userId: string
  readonly signingKey: Uint8Array
  readonly boxKey: Uint8Array
  readonly removed: boolean
  /** Which of its entries the tenant's databases materialise. */
  readonly trust: DeviceTrust
}

/** The directory after folding every record it holds, and the records it refused. */
export interface DirectoryState {
  readonly users: ReadonlyMap<string, MemberUser>
  readonly devices: ReadonlyMap<string, MemberDevice>
  readonly joinIds: ReadonlySet<string>
  /** `keys` records that applied, oldest first. */
  readonly keyRecords: readonly VerifiedRecord[]
  readonly refused: ReadonlyArray<{ readonly id: string; readonly error: WeftError }>
  /** The highest lamport of any record held: a new record takes one more. */
  readonly lamport: number
}

const ALL: DeviceTrust = { mode: 'except', hashes: new Set() }
const NONE: DeviceTrust = { mode: 'only', hashes: new Set() }

/** Orders records the same way on every device: by lamport, then by id. */
export function compareRecords(a: VerifiedRecord, b: VerifiedRecord): number {
  return a.lamport - b.lamport || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/**
 * Folds directory records, in {@link compareRecords} order, into users and devices. The first
 * record must be the genesis signed by `root` (the device that created the tenant); every later
 * one must be signed by a device, not removed, of a user who is an admin at that point, or it is
 * refused with `WEFT_MEMBER_RECORD_REFUSED`. Pure: the same records give the same state on every
 * device, whatever order they arrived in.
 */
export function foldDirectory(root: Uint8Array, records: Iterable<VerifiedRecord>): DirectoryState {
  const users = new Map<string, MemberUser>()
  const devices = new Map<string, MemberDevice>()
  const joinIds = new Set<string>()
  const keyRecords: VerifiedRecord[] = []
  const refused: { id: string; error: WeftError }[] = []
  const rootId = toBase64Url(root)
  let lamport = 0
  const unique = new Map<string, VerifiedRecord>()
  for (const r of records) unique.set(r.id, r) // one record, however many copies arrived
  for (const r of [...unique.values()].sort(compareRecords)) {
    lamport = Math.max(lamport, r.lamport)
    let problem: string | undefined
    try {
      problem = apply(r)
    } catch {
      problem = 'malformed fields'
    }
    if (problem)
      refused.push({
        id: r.id,
        error: new WeftError(ErrorCodes.MEMBER_RECORD_REFUSED, `directory record ${r.id}: ${problem}`),
      })
  }
  return { users, devices, joinIds, keyRecords, refused, lamport }

  function apply(r: VerifiedRecord): string | undefined {
    if (r.op === 'genesis') {
      if (devices.size) return 'a second genesis'
      if (r.signerId !== rootId || toBase64Url(r.device.key) !== rootId) return 'genesis not signed by the tenant root'
      users.set(r.userId, { id: r.userId, name: String(r.name), role: 'admin', removed: false })
      devices.set(rootId, device(r.device.key, r.device.box, r.userId, ALL))
      return undefined
    }
    const signer = devices.get(r.signerId)
    if (!signer || signer.removed || users.get(signer.userId)?.role !== 'admin') return 'not signed by an admin device'
    switch (r.op) {
      case 'add-device': {
        const id = toBase64Url(r.device.key)
        if (devices.has(id) || joinIds.has(r.joinId)) return 'device or join request already in the directory'
        const user =
          users.get(r.userId) ??
          (isRole(r.role) ? { id: r.userId, name: String(r.name), role: r.role, removed: false } : undefined)
        if (!user || user.removed) return 'unknown or removed user'
        users.set(user.id, user)
        joinIds.add(r.joinId)
        devices.set(id, device(r.device.key, r.device.box, user.id, canWrite(user.role) ? ALL : NONE))
        return undefined
      }
      case 'set-role': {
        const user = users.get(r.userId)
        if (!user || user.removed || !isRole(r.role)) return 'unknown user or role'
        const hashes = byDevice(r.hashes)
        for (const d of devices.values()) {
          if (d.userId !== user.id || d.removed || canWrite(user.role) === canWrite(r.role)) continue
          const held = hashes.get(d.id) ?? new Set<ChangeHash>()
          devices.set(d.id, {
            ...d,
            trust: canWrite(r.role) ? { mode: 'except', hashes: held } : narrow(d.trust, held),
          })
        }
        users.set(user.id, { ...user, role: r.role })
        return undefined
      }
      case 'remove-device': {
        const d = devices.get(r.device)
        if (!d || d.removed) return 'unknown or removed device'
        devices.set(d.id, { ...d, removed: true, trust: narrow(d.trust, byDevice(r.hashes).get(d.id) ?? new Set()) })
        return undefined
      }
      case 'remove-user': {
        const user = users.get(r.userId)
        if (!user || user.removed) return 'unknown or removed user'
        const hashes = byDevice(r.hashes)
        for (const d of devices.values()) {
          if (d.userId === user.id && !d.removed)
            devices.set(d.id, { ...d, removed: true, trust: narrow(d.trust, hashes.get(d.id) ?? new Set()) })
        }
        users.set(user.id, { ...user, removed: true })
        return undefined
      }
      case 'keys':
        keyRecords.push(r)
        return undefined
      default:
        return 'unknown operation'
    }
  }
}

function device(key: Uint8Array, box: Uint8Array, userId: string, trust: DeviceTrust): MemberDevice {
  return { id: toBase64Url(key), userId, signingKey: key, boxKey: box, removed: false, trust }
}

/** Cuts trust down to `held`, never widening it: what was untrusted stays untrusted. */
function narrow(trust: DeviceTrust, held: ReadonlySet<ChangeHash>): DeviceTrust {
  const kept = [...held].filter((h) => (trust.mode === 'except' ? !trust.hashes.has(h) : trust.hashes.has(h)))
  return { mode: 'only', hashes: new Set(kept) }
}

function byDevice(list: HashesByDevice): Map<string, Set<ChangeHash>> {
  const out = new Map<string, Set<ChangeHash>>()
  if (Array.isArray(list))
    for (const pair of list)
      if (Array.isArray(pair) && Array.isArray(pair[1])) out.set(String(pair[0]), new Set(pair[1]))
  return out
}
