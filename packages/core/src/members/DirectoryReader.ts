import { toBase64Url } from '../codec/index.ts'
import type { WeftError } from '../errors.ts'
import { openSealedKeyVersions } from '../keys/index.ts'
import type { ChangeStore } from '../store/index.ts'
import type { DeviceTrust } from '../tenant/index.ts'
import { asKeyId, type ChangeHash, type Cursor } from '../types.ts'
import { readRecords } from './directoryEntries.ts'
import { compareRecords, foldDirectory, type DirectoryState } from './foldDirectory.ts'
import type { DirectoryReport, MembersHost } from './MemberDirectory.ts'
import { verifyMemberRecord, type VerifiedRecord } from './MemberRecord.ts'
import { canWrite } from './roles.ts'

const EMPTY: DirectoryState = {
  users: new Map(),
  devices: new Map(),
  joinIds: new Set(),
  keyRecords: [],
  refused: [],
  lamport: 0,
}

/**
 * The reading side of a tenant's directory: reads its entries page by page (and again those that
 * were locked), verifies and folds the records, and puts the result in force (keys handed to this
 * device, every device's trust).
 */
export class DirectoryReader {
  readonly #host: MembersHost
  readonly #records = new Map<string, VerifiedRecord>()
  /** The signed form of each record in {@link DirectoryReader.#records}, by id. */
  readonly #signed = new Map<string, string>()
  readonly #malformed: { id: string; error: WeftError }[] = []
  #locked = new Set<ChangeHash>()
  #state: DirectoryState = EMPTY
  #cursor: Cursor | null = null
  #usedKeyRecords = new Set<string>()

  constructor(host: MembersHost) {
    this.#host = host
  }

  /** The directory as folded now. */
  get state(): DirectoryState {
    return this.#state
  }

  /** How many directory entries this device cannot read yet. */
  get lockedCount(): number {
    return this.#locked.size
  }

  /** What the last read made of the directory: the records refused, and the entries still locked. */
  report(): DirectoryReport {
    return { refused: [...this.#malformed, ...this.#state.refused], locked: this.#locked.size }
  }

  /** Reads new and locked entries, folds, installs; true when a record handed this device keys. */
  async readNew(store: ChangeStore): Promise<boolean> {
    const hashes: ChangeHash[] = [...this.#locked]
    for (;;) {
      const page = await store.scan(this.#cursor, { limit: 2_000 })
      if (page.reset) {
        this.#records.clear()
        this.#signed.clear()
      }
      hashes.push(...page.entries.map((e) => e.hash))
      this.#cursor = page.cursor
      if (page.done) break
    }
    const { records, locked } = await readRecords(store, hashes, this.#host.keyBag, this.#host.tenantId)
    this.#locked = new Set(locked)
    let changed = false
    for (const raw of records) {
      try {
        const r = verifyMemberRecord(raw, this.#host.tenantId)
        if (!this.#records.has(r.id)) {
          this.#records.set(r.id, r)
          this.#signed.set(r.id, raw as string)
          changed = true
        }
      } catch (err) {
        this.#malformed.push({ id: `malformed-${this.#malformed.length}`, error: err as WeftError })
      }
    }
    return changed || this.#state === EMPTY
      ? this.#install(foldDirectory(this.#host.root, this.#records.values()))
      : false
  }

  /** The signed form of each membership record applied now (not `keys` records), in fold order. */
  membershipRecords(): string[] {
    const refused = new Set(this.#state.refused.map((r) => r.id))
    return [...this.#records.values()]
      .filter((r) => r.op !== 'keys' && !refused.has(r.id))
      .sort(compareRecords)
      .map((r) => this.#signed.get(r.id)!)
  }

  /** Installs a folded directory: takes the keys handed to this device, then puts device trust in force. */
  async #install(state: DirectoryState): Promise<boolean> {
    this.#state = state
    let keysAdded = false
    const me = toBase64Url(this.#host.identity.signing.publicKey)
    for (const r of state.keyRecords) {
      if (r.op !== 'keys' || this.#usedKeyRecords.has(r.id)) continue
      this.#usedKeyRecords.add(r.id)
      for (const [device, blobs] of r.sealed) {
        if (device !== me) continue
        for (const blob of blobs) {
          try {
            const opened = openSealedKeyVersions(blob, this.#host.identity.box)
            await this.#host.keyBag.addVersions(asKeyId(opened.keyId), opened.versions)
            keysAdded = true
          } catch {
            // A hand-off this device cannot use (another key under the same name): skipped.
          }
        }
      }
    }
    if (state.devices.size === 0) return keysAdded
    const trusts = new Map<string, DeviceTrust>()
    for (const d of state.devices.values()) {
      const role = state.users.get(d.userId)?.role
      trusts.set(
        d.id,
        role && canWrite(role) ? d.trust : d.trust.mode === 'only' ? d.trust : { mode: 'only', hashes: new Set() },
      )
    }
    this.#host.trust.setDevices(trusts)
    await this.#host.trustChanged()
    return keysAdded
  }
}
