import {
  ErrorCodes,
  foldDirectory,
  utf8,
  verifyMemberRecord,
  WeftError,
  type DirectoryState,
  type KeyValueStore,
  type Role,
  type VerifiedRecord,
} from '@weft/core/backend'
import { AsideRecords } from './AsideRecords.ts'
import type { ClusterState } from './cluster/ClusterState.ts'

/** What the tenant's directory says of a device key: absent when it does not list it. */
export type DirectoryStanding = 'member' | 'reader' | 'revoked'

/** Bounds of the records a server holds for one tenant's directory. */
export interface DirectoryLimits {
  /** Most records held per tenant. Default 10,000. */
  readonly maxRecordsPerTenant: number
  /** Most bytes of signed records held per tenant. Default 8 MiB. */
  readonly maxBytesPerTenant: number
}

export const DEFAULT_DIRECTORY_LIMITS: DirectoryLimits = { maxRecordsPerTenant: 10_000, maxBytesPerTenant: 8 << 20 }

/** What one post of records did. */
export interface DirectoryPost {
  readonly added: number
  readonly held: number
  readonly refused: { index: number; code: string; message: string }[]
  /** Device keys the fold lists as removed now and did not before: their sessions end. */
  readonly removed: string[]
  /** Device keys the fold admits now and did not before. */
  readonly admitted: string[]
}

/** A device as the server's fold of the directory lists it (see {@link TenantDirectory.devices}). */
export interface DirectoryDevice {
  /** Its Ed25519 public key, base64url. */
  readonly key: string
  readonly userId: string
  readonly role: Role
  /** True when the device, or its user, was removed. */
  readonly removed: boolean
}

interface Held {
  readonly root: string
  readonly records: Map<string, VerifiedRecord>
  readonly signed: Set<string>
  bytes: number
  state: DirectoryState
}

/** Membership operations a server keeps; `keys` records (sealed keys for devices) are none of its business. */
const MEMBERSHIP_OPS = new Set(['genesis', 'add-device', 'set-role', 'remove-device', 'remove-user'])

/**
 * The tenants' directories as the server knows them: the signed membership records devices post
 * in plaintext signed form (they are self-authenticating), kept in the server's key-value store
 * and folded with `foldDirectory` from the tenant's root key (the key that first registered the
 * tenant). A device the fold lists, not removed, of a user not removed, may sign in.
 */
export class TenantDirectory {
  readonly #kv: KeyValueStore
  readonly #limits: DirectoryLimits
  readonly #held = new Map<string, Promise<Held>>()
  readonly #aside: AsideRecords
  readonly #queues = new Map<string, Promise<unknown>>()
  #cluster: ClusterState | undefined

  constructor(kv: KeyValueStore, limits: Partial<DirectoryLimits> = {}) {
    this.#kv = kv
    this.#limits = { ...DEFAULT_DIRECTORY_LIMITS, ...limits }
    this.#aside = new AsideRecords({ perTenant: 64, maxBytes: 8 << 20 })
  }

  /**
   * Verifies and folds records posted for `tenant`, whose root key is `root` (base64url), and
   * keeps the ones the fold applies that it did not hold. A record that does not verify, belongs
   * to another tenant or is not a membership operation is refused with
   * `WEFT_MEMBER_RECORD_REFUSED`; so is one the fold refuses (not signed by an admin device at
   * its point of the fold), which is held aside in memory in case the records it depends on
   * arrive later. Past the tenant's limits the post is refused whole (`WEFT_QUOTA_EXCEEDED`).
   */
  post(tenant: string, root: string, raw: readonly string[]): Promise<DirectoryPost> {
    return this.#queued(tenant, () => this.#post(tenant, root, raw))
  }

  /**
   * Shares this state with the other processes over the same storage: every change runs in the
   * tenant's cross-process section (see `ClusterState`), after what another process changed is
   * read again.
   */
  share(cluster: ClusterState): void {
    this.#cluster = cluster
  }

  /** Forgets the folded directory of `tenant` (another process changed it); the next use folds it again. */
  invalidate(tenant: string): void {
    this.#held.delete(tenant)
  }

  /**
   * Runs `job` after the tenant's other changes, one at a time. Shared, the tenant's section alone
   * orders them: a reset erases the directory from inside the section it holds, and must not
   * queue behind a post that waits for that section.
   */
  #queued<T>(tenant: string, job: () => Promise<T>): Promise<T> {
    if (this.#cluster) return this.#cluster.tenantSection(tenant, job)
    const run = (this.#queues.get(tenant) ?? Promise.resolve()).then(job)
    const tail = run.catch(() => undefined)
    this.#queues.set(tenant, tail)
    void tail.then(() => this.#queues.get(tenant) === tail && this.#queues.delete(tenant))
    return run
  }

  async #post(tenant: string, root: string, raw: readonly string[]): Promise<DirectoryPost> {
    const held = await this.#load(tenant, root)
    const refused: DirectoryPost['refused'] = []
    const fresh = new Map<string, { record: VerifiedRecord; signed: string; index: number }>()
    raw.forEach((signed, index) => {
      if (held.signed.has(signed)) return
      try {
        const record = verifyMemberRecord(signed, tenant)
        if (!MEMBERSHIP_OPS.has(record.op))
          throw new WeftError(
            ErrorCodes.MEMBER_RECORD_REFUSED,
            `a server keeps membership records only, not ${record.op}`,
          )
        if (!held.records.has(record.id)) fresh.set(record.id, { record, signed, index })
      } catch (err) {
        const w = err instanceof WeftError ? err : new WeftError(ErrorCodes.MEMBER_RECORD_REFUSED, 'malformed record')
        refused.push({ index, code: w.code, message: w.message })
      }
    })
    const aside = this.#aside.of(tenant)
    const candidates = [...held.records.values(), ...[...aside.values()].map((a) => a.record)]
    for (const f of fresh.values()) candidates.push(f.record)
    const state = foldDirectory(fromKey(root), candidates)
    const refusedByFold = new Map(state.refused.map((r) => [r.id, r.error]))
    // Records the fold applies now are kept: fresh ones and ones held aside until now.
    const keep: { record: VerifiedRecord; signed: string }[] = []
    for (const a of aside.values()) if (!refusedByFold.has(a.record.id)) keep.push(a)
    for (const f of fresh.values()) if (!refusedByFold.has(f.record.id)) keep.push(f)
    const bytes = keep.reduce((n, k) => n + k.signed.length, 0)
    if (
      held.records.size + keep.length > this.#limits.maxRecordsPerTenant ||
      held.bytes + bytes > this.#limits.maxBytesPerTenant
    ) {
      throw new WeftError(
        ErrorCodes.QUOTA_EXCEEDED,
        `the tenant's directory may hold at most ${this.#limits.maxRecordsPerTenant} records (${this.#limits.maxBytesPerTenant} bytes) on this server`,
      )
    }
    for (const k of keep) await this.#kv.put(recordKey(tenant, k.record.id), utf8(k.signed))
    for (const k of keep) {
      held.records.set(k.record.id, k.record)
      held.signed.add(k.signed)
      held.bytes += k.signed.length
      this.#aside.delete(tenant, k.record.id)
    }
    for (const f of fresh.values()) {
      const error = refusedByFold.get(f.record.id)
      if (!error) continue
      this.#aside.add(tenant, f)
      refused.push({ index: f.index, code: error.code, message: error.message })
    }
    const removed = admittedOnlyIn(held.state, state)
    const admitted = admittedOnlyIn(state, held.state)
    held.state = state
    refused.sort((a, b) => a.index - b.index)
    return { added: keep.length, held: held.records.size, refused, removed, admitted }
  }

  /** What the directory of `tenant` (root key `root`) says of device `key`; undefined when it does not list it. */
  async standing(tenant: string, root: string, key: string): Promise<DirectoryStanding | undefined> {
    const { state } = await this.#load(tenant, root)
    const d = state.devices.get(key)
    if (!d) return undefined
    const user = state.users.get(d.userId)
    if (d.removed || !user || user.removed) return 'revoked'
    return user.role === 'reader' ? 'reader' : 'member'
  }

  /** True when `key` is a device, not removed, of an admin of the tenant's directory. */
  async isAdmin(tenant: string, root: string, key: string): Promise<boolean> {
    const { state } = await this.#load(tenant, root)
    const d = state.devices.get(key)
    const user = d && state.users.get(d.userId)
    return !!d && !d.removed && !!user && !user.removed && user.role === 'admin'
  }

  /**
   * Every device the directory of `tenant` (root key `root`) lists, removed ones included, with
   * its user and that user's role: what the signed plaintext records say, never key records.
   */
  async devices(tenant: string, root: string): Promise<DirectoryDevice[]> {
    const { state } = await this.#load(tenant, root)
    const out: DirectoryDevice[] = []
    for (const d of state.devices.values()) {
      const user = state.users.get(d.userId)
      if (!user) continue
      out.push({ key: d.id, userId: d.userId, role: user.role, removed: d.removed || user.removed })
    }
    return out
  }

  /** The records held for a tenant (for its usage). */
  async usage(tenant: string, root: string): Promise<{ records: number; bytes: number }> {
    const h = await this.#load(tenant, root)
    return { records: h.records.size, bytes: h.bytes }
  }

  /** Drops what is cached of `tenant` after its records were erased (the tenant was deleted). */
  forget(tenant: string): void {
    this.#held.delete(tenant)
    this.#aside.clear(tenant)
  }

  /** Erases every record held for the tenant (a reset). */
  erase(tenant: string): Promise<void> {
    return this.#queued(tenant, async () => {
      this.#held.delete(tenant)
      this.#aside.clear(tenant)
      for (const k of await this.#kv.keys(directoryPrefix(tenant))) await this.#kv.delete(k)
    })
  }

  #load(tenant: string, root: string): Promise<Held> {
    let p = this.#held.get(tenant)
    if (p) {
      return p.then((h) => {
        if (h.root === root) return h
        // The tenant's root changed (a reset, then a new registration): fold again from the new one.
        this.#held.delete(tenant)
        return this.#load(tenant, root)
      })
    }
    p = this.#read(tenant, root)
    this.#held.set(tenant, p)
    p.catch(() => this.#held.get(tenant) === p && this.#held.delete(tenant))
    return p
  }

  async #read(tenant: string, root: string): Promise<Held> {
    const records = new Map<string, VerifiedRecord>()
    const signed = new Set<string>()
    let bytes = 0
    for (const k of await this.#kv.keys(directoryPrefix(tenant))) {
      const raw = await this.#kv.get(k)
      if (!raw) continue
      const text = new TextDecoder().decode(raw)
      try {
        const r = verifyMemberRecord(text, tenant)
        records.set(r.id, r)
        signed.add(text)
        bytes += text.length
      } catch {
        // Not a record any more (storage damaged): it does not count.
      }
    }
    return { root, records, signed, bytes, state: foldDirectory(fromKey(root), records.values()) }
  }
}

/** Where the directory records of a tenant are kept (tenant ids hold no `/`). */
export function directoryPrefix(tenant: string): string {
  return `directory/${tenant}/`
}

function recordKey(tenant: string, id: string): string {
  return directoryPrefix(tenant) + id
}

function fromKey(key: string): Uint8Array {
  return new Uint8Array(Buffer.from(key, 'base64url'))
}

/** Device keys `s` admits (listed, not removed, of a user not removed) that `other` does not. */
function admittedOnlyIn(s: DirectoryState, other: DirectoryState): string[] {
  const admitted = (d: DirectoryState, id: string) => {
    const device = d.devices.get(id)
    const user = device && d.users.get(device.userId)
    return !!device && !device.removed && !!user && !user.removed
  }
  return [...s.devices.keys()].filter((id) => admitted(s, id) && !admitted(other, id))
}
