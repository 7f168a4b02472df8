import type { Rate } from '../RateLimiter.ts'

/** The `presence` server option: how much presence traffic the relay passes on. */
export interface PresenceRelayOptions {
  /** Presence messages a second one socket may send (sustained, with bursts). Default 20, bursts of 40. */
  readonly perConnection?: Rate
  /** Presence messages a second all of a tenant's sockets together may send. Default 200, bursts of 400. */
  readonly perTenant?: Rate
  /** Scopes one socket may watch at once. Default 64. */
  readonly maxWatches?: number
  /**
   * A watcher with more than this many bytes waiting on its socket is skipped (presence is lossy:
   * the next refresh brings it back), so a slow reader never makes the server hold messages. Default 256 KiB.
   */
  readonly maxBufferedBytes?: number
}
