import { packValue, unpackValue } from '../codec/index.ts'
import type { KeyValueStore } from '../store/index.ts'
import type { PublicProfile } from '../tenant/index.ts'
import type { Grant } from './Grant.ts'
import type { IssuedGrantStatus } from './grantDenial.ts'
import type { SignedWriterRoster } from './WriterRoster.ts'

/** The issuer's book on a grant it issued. */
export interface IssuedGrantRecord {
  readonly v: 1
  readonly grant: Grant
  readonly status: IssuedGrantStatus
  readonly approvedAt: number | null
  /** When it was revoked, or found expired, by the issuer's clock. */
  readonly endedAt: number | null
  /** Keys still to rotate because the grant ended (survives a crash between the two steps). */
  readonly rotationPending: boolean
  /** Syncs that moved data under it. */
  readonly syncs: number
  readonly lastSyncAt: number | null
  /** Highest version of each key sealed to the partner so far. */
  readonly delivered: Readonly<Record<string, number>>
  /** The last writer roster handed to the partner: its version string and seq (absent: none yet). */
  readonly roster?: { readonly version: string; readonly seq: number }
}

/** Where a received grant stands as far as its partner knows (the issuer decides). */
export type ReceivedGrantStatus = 'pending' | 'active' | 'revoked' | 'expired'

/** The partner's book on a grant it accepted. */
export interface ReceivedGrantRecord {
  readonly v: 1
  readonly grant: Grant
  readonly sourceProfile: PublicProfile
  readonly acceptedAt: number
  /** Source database name → the local database it syncs into. */
  readonly databases: Readonly<Record<string, string>>
  /** Source key name → the local name it was imported under. */
  readonly keyNames: Readonly<Record<string, string>>
  /** Last status the issuer reported through a sync (or the initial guess). */
  readonly status: ReceivedGrantStatus
  readonly lastSyncAt: number | null
}

const MAX_RECORD_BYTES = 4 * 1024 * 1024
/** A roster lists the entries ended writers kept, so it may be much larger than a grant record. */
const MAX_ROSTER_BYTES = 96 * 1024 * 1024

/**
 * Grant records of one tenant in its key-value store: `issued/<id>`, `received/<id>`, and
 * `roster/<id>` (the newest writer roster of a received grant).
 */
export class GrantRecords {
  readonly #kv: KeyValueStore
  readonly #prefix: string

  constructor(kv: KeyValueStore, prefix: string) {
    this.#kv = kv
    this.#prefix = prefix
  }

  async loadAll(): Promise<{
    issued: IssuedGrantRecord[]
    received: ReceivedGrantRecord[]
    rosters: SignedWriterRoster[]
  }> {
    const issued: IssuedGrantRecord[] = []
    const received: ReceivedGrantRecord[] = []
    const rosters: SignedWriterRoster[] = []
    for (const key of await this.#kv.keys(this.#prefix)) {
      const bytes = await this.#kv.get(key)
      if (!bytes) continue
      if (key.startsWith(`${this.#prefix}roster/`)) {
        rosters.push(unpackValue<SignedWriterRoster>(bytes, MAX_ROSTER_BYTES))
        continue
      }
      const record = unpackValue<IssuedGrantRecord & ReceivedGrantRecord>(bytes, MAX_RECORD_BYTES)
      if (record?.v !== 1 || !record.grant) continue
      const kind = key.slice(this.#prefix.length).split('/')[0]
      if (kind === 'issued') issued.push(record)
      else if (kind === 'received') received.push(record)
    }
    return { issued, received, rosters }
  }

  putRoster(roster: SignedWriterRoster): Promise<void> {
    return this.#kv.put(`${this.#prefix}roster/${roster.grantId}`, packValue(roster))
  }

  putIssued(record: IssuedGrantRecord): Promise<void> {
    return this.#kv.put(`${this.#prefix}issued/${record.grant.id}`, packValue(record))
  }

  putReceived(record: ReceivedGrantRecord): Promise<void> {
    return this.#kv.put(`${this.#prefix}received/${record.grant.id}`, packValue(record))
  }
}
