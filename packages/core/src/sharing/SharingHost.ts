import type { BoxKeyPair, SigningKeyPair } from '../crypto/index.ts'
import type { Database } from '../db/index.ts'
import type { KeyBag } from '../keys/index.ts'
import type { ChangeStore, KeyValueStore } from '../store/index.ts'
import type { DbLinkSpec, Partner, PublicProfile, TrustCutoffs, Vouches } from '../tenant/index.ts'
import type { TenantId } from '../types.ts'
import type { AuditSink } from './auditEvents.ts'

/** @internal What sharing needs from its tenant; the `Tenant` builds it. */
export interface SharingHost {
  readonly tenantId: TenantId
  readonly signer: SigningKeyPair
  readonly box: BoxKeyPair
  readonly keyBag: KeyBag
  readonly audit: AuditSink
  /** The tenant's clock (grant expiry), milliseconds since the epoch. */
  now(): number
  publicProfile(): PublicProfile
  partners(): Partner[]
  addPartner(profile: PublicProfile, options: { dbs: readonly DbLinkSpec[] }): Promise<void>
  openDB(name: string): Promise<Database>
  /** The key-value store grant records are kept in, and the prefix of this tenant's keys. */
  openRecords(): Promise<{ kv: KeyValueStore; prefix: string }>
  /** The key-value store trust cut-offs are kept in, and the prefix of this tenant's keys. */
  openTrustRecords(): Promise<{ kv: KeyValueStore; prefix: string }>
  /** The change store behind database `name` (without opening the database). */
  openStore(name: string): Promise<ChangeStore>
  /** Puts these cut-offs in force (replacing all others) and retries held entries. */
  setTrustCutoffs(cutoffs: TrustCutoffs): Promise<void>
  /** Puts these vouches in force (replacing all others) and retries held entries. */
  setVouches(vouches: Vouches): Promise<void>
}
