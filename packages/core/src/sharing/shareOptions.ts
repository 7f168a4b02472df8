import type { PublicProfile } from '../tenant/index.ts'
import type { GrantFilter, Permission } from './Grant.ts'

/** What to share with whom, and on which conditions. */
export interface ShareOptions {
  /** The partner's public profile (its signed keys). */
  readonly partner: PublicProfile
  /** Databases of this tenant to share. */
  readonly databases: readonly string[]
  /**
   * Keys the shared documents are encrypted under. Default: the keys of the documents the
   * databases hold now. The tenant-wide `default` key is never shared: open shared databases with
   * a named key (`openDB(name, { keyId })`).
   */
  readonly keys?: readonly string[]
  /** Only documents whose top-level fields equal these values. */
  readonly filter?: GrantFilter
  /** Default `['read']`. `write` also accepts the partner's changes back. */
  readonly permissions?: readonly Permission[]
  readonly allowedEnvironments?: readonly string[]
  readonly maxSyncs?: number
  readonly requiresApproval?: boolean
  /** When the grant ends, by this tenant's clock. Default: never. */
  readonly expiresAt?: number | Date | null
}

/** How the partner maps a grant into its own names. */
export interface AcceptOptions {
  /** Source database → local database. Default: the same name. */
  readonly databases?: Readonly<Record<string, string>>
  /**
   * Source key name → local key name. Default: the same name. Another name avoids a clash with a
   * key of the partner's own (documents open by key commitment, and writes use the local name).
   */
  readonly keyNames?: Readonly<Record<string, string>>
}
