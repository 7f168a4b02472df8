import type { SignatureVerifier } from '../crypto/index.ts'
import type { EntryLimits, ParsedEntry } from '../entries/index.ts'
import type { ChangeHash, DocId, EntryKind } from '../types.ts'

/** An entry that passed verification, ready for a backend to make durable. */
export interface VerifiedEntry {
  readonly hash: ChangeHash
  readonly bytes: Uint8Array
  readonly docId: DocId
  readonly kind: EntryKind
  /** The signer's Ed25519 public key, hex. */
  readonly author: string
  /** The hashes the entry lists in its signed `deps`. */
  readonly deps: readonly ChangeHash[]
  /**
   * The entry parsed, its views into `bytes` (the store's own copy), made on first use. Append
   * listeners hear these objects as the stored entries, and a database materialising them does
   * not parse them again.
   */
  readonly parsed: ParsedEntry
}

/** Options every store accepts. */
export interface StoreOptions {
  readonly limits?: EntryLimits
  /** Most entries one `appendMany` call may carry. */
  readonly maxBatch?: number
  /**
   * What `getChanges` checks of the bytes a backend returns: `hash` (default; a corrupted entry is
   * left out, as if not held) or `signature` as well, for backends whose bytes cross a network.
   */
  readonly verifyReads?: 'hash' | 'signature'
  /**
   * Checks the signatures of large batches on other threads: a pool from `createNodeVerifierPool`
   * (`@weft/store-level`) or `createWebVerifierPool`. Batches below its `minBatch` are checked
   * here. It accepts exactly what the check here accepts; the store never closes it.
   */
  readonly verifier?: SignatureVerifier
}
