import type { SigningKeyPair } from '../crypto/index.ts'
import type { KeyBag } from '../keys/index.ts'
import type { TrustPolicy } from '../tenant/index.ts'
import type { TenantId } from '../types.ts'
import type { IndexStorage } from './DocIndex.ts'

/** What a database needs from its tenant: who signs, which keys it holds, whom it trusts. */
export interface DatabaseContext {
  readonly tenantId: TenantId
  readonly signer: SigningKeyPair
  readonly keyBag: KeyBag
  readonly trust: TrustPolicy
  /** Subscribes to trust changes (partners added or removed); returns an unsubscribe function. */
  onTrustChange(listener: () => Promise<void>): () => void
  /** False when this device may not write (a reader, or removed by the tenant directory). Default: may write. */
  mayWrite?(): boolean
  /**
   * Whether a device key may take part in presence now: a device of the tenant that is not
   * removed (readers included). Default: the tenant's trusted writers.
   */
  presenceAdmits?(signingKey: Uint8Array): boolean
  /** Where the database keeps its persisted index; without it, every open materialises from the store. */
  readonly index?: IndexStorage
}
