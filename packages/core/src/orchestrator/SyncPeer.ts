import type { Database, DocFilter } from '../db/index.ts'
import type { ChangeStore } from '../store/index.ts'
import type { SyncStateStore } from '../sync/index.ts'
import type { DbName, TenantId } from '../types.ts'
import type { RelationshipStateStore } from './RelationshipStateStore.ts'

/** Which way a relationship moves entries, seen from its local tenant. */
export type SyncDirection = 'pull' | 'push' | 'both'

/** True for the three {@link SyncDirection} values. */
export function isSyncDirection(value: unknown): value is SyncDirection {
  return value === 'pull' || value === 'push' || value === 'both'
}

/**
 * The other side of a relationship. A `Tenant` in this process is one. A remote partner (the
 * `GrantRelay` of `@weft/client`) hands out bare stores on a server instead of databases: entries
 * are relayed to and from them as they are, and the partner's own process applies its side's
 * filters and rules.
 */
export interface SyncPeer {
  readonly id: TenantId
  /** The peer's database `name` (or its relayed copy), as the source or target of a transfer. */
  openDB(name: string): Promise<Database | ChangeStore>
  /** The peer's rules for syncs it takes part in (grants); absent means it imposes none. */
  readonly syncAuthority?: SyncAuthority
}

/** The tenant that runs a relationship: it also keeps the relationship's cursors and state. */
export interface LocalSyncPeer extends SyncPeer {
  openDB(name: string): Promise<Database>
  /** Saved cursors (one per relationship, database and direction). */
  syncStates(): Promise<SyncStateStore>
  /** Saved relationship state: enabled flag, counters, last sync and last error. */
  relationshipStates(): Promise<RelationshipStateStore>
}

/** One copy planned in a round: entries of database `from.db` sent to database `to.db`. */
export interface Transfer {
  readonly from: { readonly tenant: TenantId; readonly db: DbName }
  readonly to: { readonly tenant: TenantId; readonly db: DbName }
}

/** A party to a sync and the environment it runs in (checked against `allowedEnvironments`). */
export interface SyncParty {
  readonly tenant: TenantId
  readonly environment: string | undefined
}

/** What a round of a relationship asks the authorities of both peers for. */
export interface SyncRequest {
  readonly relationshipId: string
  /** The grant the relationship runs under, if any. */
  readonly grantId: string | undefined
  readonly local: SyncParty
  readonly partner: SyncParty
  /** Every transfer the relationship may run this round (all of them, idle or not). */
  readonly transfers: readonly Transfer[]
}

/**
 * What one peer must take in under a grant before the round's entries arrive: sealed keys (newer
 * versions after a rotation) and, when it changed, the issuer's signed roster of the other tenants
 * it accepts changes from on the granted databases.
 */
export interface KeyDelivery {
  readonly grantId: string
  /** The tenant the keys are sealed to. */
  readonly to: TenantId
  /** May be empty when only the roster changed. */
  readonly sealed: readonly Uint8Array[]
  /** A signed writer roster (opaque here; the receiving authority verifies it). */
  readonly roster?: unknown
  /** Called once the receiver imported them, so they are not sent again. */
  delivered(): Promise<void>
}

/** What an authority allows for one round. */
export interface SyncPermit {
  /** Per transfer (same index as the request), a filter the sending side applies; `undefined`: none. */
  readonly filters: ReadonlyArray<DocFilter | undefined>
  /** Keys to hand to the receiving peer before any entry moves. */
  readonly keys?: readonly KeyDelivery[]
}

/** What one transfer of a round moved. */
export interface TransferOutcome {
  readonly transfer: Transfer
  /** Entries the target did not have and now holds. */
  readonly sent: number
  /** Entries the target refused. */
  readonly rejected: number
}

/** What a round moved, transfer by transfer (transfers that had nothing new are left out). */
export interface RoundOutcome {
  readonly transfers: readonly TransferOutcome[]
}

/**
 * A peer's rules for the syncs it takes part in. `guard` runs a whole round: it checks the
 * request, calls `round` with what it allows, and records the outcome; a denial rejects with a
 * typed `WeftError` before `round` runs, so no data moves.
 */
export interface SyncAuthority {
  guard(request: SyncRequest, round: (permit: SyncPermit) => Promise<RoundOutcome>): Promise<RoundOutcome>
  /** Imports keys the other side sealed to this peer under a grant. */
  receiveKeys(grantId: string, sealed: readonly Uint8Array[]): Promise<void>
  /**
   * Takes in the grant issuer's signed roster of the other tenants it accepts changes from (so
   * their changes to the issuer's documents can be materialised here). Absent: the peer has no
   * use for one (a relay that carries only the two tenants' own entries).
   */
  receiveRoster?(grantId: string, roster: unknown): Promise<void>
  /** Told when the other peer's authority refused a round before this one was asked (for its own records). */
  refused?(request: SyncRequest, error: Error): Promise<void>
  /**
   * A cheap, side-effect-free "would `guard` let this round run, with nothing to move?". Lets the
   * orchestrator book an idle round under a grant without a full round; `false` (or absent) means
   * run the full round, which decides and records.
   */
  wouldAllow?(request: SyncRequest): boolean
}

/** A permit that restricts nothing. */
export const OPEN_PERMIT: SyncPermit = Object.freeze({ filters: [] })
