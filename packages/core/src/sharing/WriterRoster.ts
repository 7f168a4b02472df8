import type { ChangeHash } from '../types.ts'

/**
 * One tenant that writes to an issuer's database with the issuer's consent (a write grant), as
 * the issuer vouches for it to its other partners.
 */
export interface RosterWriter {
  /** The issuer's database. */
  readonly db: string
  readonly tenant: string
  /** The writer's signing keys (base64url). */
  readonly keys: readonly string[]
  /**
   * `null` while its write grant is live. Once it ended: the writer's entries the issuer kept
   * (hex hashes), the only ones its signatures count on from then on.
   */
  readonly kept: readonly ChangeHash[] | null
}

/**
 * An issuer's signed list, for one grant's partner, of the other tenants whose changes to the
 * granted databases it accepts. The partner then trusts their signatures on the issuer's
 * documents (and only on those): without it, a change one write partner made would reach the
 * others through the issuer but never be materialised there.
 */
export interface WriterRoster {
  readonly v: 1
  readonly grantId: string
  /** The issuer's tenant id. */
  readonly source: string
  /** Grows with every new roster of the grant; a partner ignores one not above what it holds. */
  readonly seq: number
  readonly writers: readonly RosterWriter[]
}

/** A roster with the issuer's Ed25519 signature (base64url). */
export interface SignedWriterRoster extends WriterRoster {
  readonly signature: string
}
