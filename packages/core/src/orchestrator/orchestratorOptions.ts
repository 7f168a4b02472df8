import type { BackoffOptions } from './backoff.ts'
import type { SyncDirection } from './SyncPeer.ts'

/** Options of a `MultiTenantSyncOrchestrator`. */
export interface OrchestratorOptions {
  /** Relationship rounds that may run at once. Default 4. */
  readonly concurrency?: number
  /** Default milliseconds between rounds of a relationship while running. Default 30 s. */
  readonly intervalMs?: number
  /** Default direction of relationships. Default `both`. */
  readonly direction?: SyncDirection
  /** Retry delays of failing relationships. */
  readonly backoff?: BackoffOptions
  /** Environment this process runs in, checked against grants' `allowedEnvironments`. */
  readonly environment?: string
  /** Milliseconds since the epoch; drives schedules and status times. Default `Date.now`. */
  readonly clock?: () => number
  /** Uniform in [0, 1); drives backoff jitter. Default `Math.random`. */
  readonly random?: () => number
}
