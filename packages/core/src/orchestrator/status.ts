import type { AttachmentSync, DocFilter } from '../db/index.ts'
import type { WeftError } from '../errors.ts'
import type { SyncProgress } from '../store/index.ts'
import type { DbLinkSpec } from '../tenant/index.ts'
import type { DbName, TenantId } from '../types.ts'
import type { SyncErrorInfo } from './RelationshipStateStore.ts'
import type { SyncDirection } from './SyncPeer.ts'

/** Options of one relationship. */
export interface RelationshipOptions {
  /** Which way entries move, seen from the local tenant. Default `both`. */
  readonly direction?: SyncDirection
  /** Only documents that match are sent (evaluated by the sending side, which holds the keys). */
  readonly filter?: DocFilter
  /** Milliseconds between rounds while the orchestrator runs. Default: the orchestrator's. */
  readonly intervalMs?: number
  /** The grant the relationship runs under; every round is checked against it by its issuer. */
  readonly grantId?: string
  /**
   * The environment the local side runs in, checked against a grant's `allowedEnvironments`.
   * Default: the orchestrator's, else the `environment` part of the local tenant's scope.
   */
  readonly environment?: string
  /** Whether it starts enabled when no saved state says otherwise. Default true. */
  readonly enabled?: boolean
  /**
   * Whether its transfers into a database carry attachment chunks (`eager`) or leave them to be
   * fetched from the sending side when first read (`lazy`), whatever the receiving database's own
   * setting; default: that setting. So one partner can sync without chunk bodies while another
   * gets them. Transfers into a bare store (a relay) and filtered transfers always carry the
   * chunks of what they send.
   */
  readonly attachments?: AttachmentSync
}

/** A database of a relationship: `local` in the local tenant, `remote` in the partner. */
export type RelationshipDatabase = DbLinkSpec

/** Status of one database of a relationship. */
export interface DatabaseSyncStatus {
  readonly db: DbName
  readonly remoteDb: DbName
  /** The last round that checked this database successfully (orchestrator clock), or null. */
  readonly lastSyncAt: number | null
  readonly lastError: SyncErrorInfo | null
  /** Entries sent to the partner, and received from it, in total. */
  readonly sent: number
  readonly received: number
  /** Entries moved in the last round that moved any. */
  readonly lastSent: number
  readonly lastReceived: number
  /** True when the last round succeeded and no entry arrived on a sending side since. */
  readonly upToDate: boolean
}

/** How far one transfer of a relationship trails its sending side (see `orchestrator.getLag()`). */
export interface TransferLag {
  readonly relationshipId: string
  /** The local database, and the partner's. */
  readonly db: DbName
  readonly remoteDb: DbName
  /** `push`: from the local database to the partner; `pull`: from the partner. */
  readonly direction: 'push' | 'pull'
  /** Entries in the sending store past the transfer's cursor; null when not known yet. */
  readonly behind: number | null
}

/** Where a relationship stands. */
export type RelationshipState = 'idle' | 'syncing' | 'backoff' | 'disabled'

/** Status of one relationship. */
export interface RelationshipStatus {
  readonly id: string
  readonly localTenant: TenantId
  readonly partnerTenant: TenantId
  readonly grantId: string | null
  readonly direction: SyncDirection
  readonly enabled: boolean
  readonly state: RelationshipState
  readonly lastSyncAt: number | null
  readonly lastError: SyncErrorInfo | null
  readonly consecutiveFailures: number
  /** When the running orchestrator tries it next, or null when disabled. */
  readonly nextRunAt: number | null
  readonly databases: readonly DatabaseSyncStatus[]
}

/** Status of the whole orchestrator. */
export interface OrchestratorStatus {
  readonly running: boolean
  /** Relationship rounds running now. */
  readonly inFlight: number
  readonly relationships: readonly RelationshipStatus[]
}

/** What {@link MultiTenantSyncOrchestrator.syncAll} did. */
export interface SyncAllResult {
  /** Relationships whose round succeeded. */
  readonly synced: string[]
  /** Relationships whose round failed, with the error. */
  readonly failed: { readonly id: string; readonly error: WeftError }[]
  /** Entries sent and received over all of them. */
  readonly sent: number
  readonly received: number
}

/** Events of the orchestrator, by kebab-case name. */
export interface OrchestratorEvents extends Record<string, unknown> {
  'relationship-added': { readonly relationshipId: string }
  'relationship-removed': { readonly relationshipId: string }
  'relationship-enabled': { readonly relationshipId: string }
  'relationship-disabled': { readonly relationshipId: string }
  'sync-started': { readonly relationshipId: string }
  'sync-completed': {
    readonly relationshipId: string
    readonly sent: number
    readonly received: number
    readonly durationMs: number
  }
  /**
   * How far one transfer of a round is (throttled as {@link SyncProgress} is): `db` is the local
   * database, `direction` whether entries go to the partner (`push`) or come from it (`pull`).
   */
  'sync-progress': SyncProgress & {
    readonly relationshipId: string
    readonly db: DbName
    readonly direction: 'push' | 'pull'
  }
  'sync-failed': {
    readonly relationshipId: string
    readonly error: WeftError
    readonly consecutiveFailures: number
    /** When the running orchestrator tries again. */
    readonly retryAt: number
  }
}
