/**
 * Engine internals the bench needs to rebuild the write pipeline by hand and to measure the raw
 * primitives. They are not part of `@weft/core`'s public API, so they are imported from source in
 * this one place.
 */
export { encodeChangePayload } from '../packages/core/src/entries/index.ts'
export {
  sodium,
  Domain,
  generateKey,
  generateNonce,
  generateSigningKeyPair,
  signDetached,
  verifyDetached,
  encryptCommitted,
  decryptCommitted,
  blake2b256,
} from '../packages/core/src/crypto/index.ts'
/** The relay's own notice after an append, so the NOTIFY bench sends what a relay sends. */
export { createStoredNotice } from '../packages/server/src/cluster/storedNotice.ts'
export { createEntry } from '../packages/core/src/entries/index.ts'
export { encodeSnapshotPayload } from '../packages/core/src/db/snapshotPayload.ts'
export { openTenantRecord } from '../packages/core/src/tenant/index.ts'
/** How the materialiser splits a document's changes into Automerge calls. */
export { planApply } from '../packages/core/src/db/planApply.ts'
