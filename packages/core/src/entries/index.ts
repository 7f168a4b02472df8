/**
 * Change entries: create → parse → verify → decrypt. An entry is a canonical header, a
 * key-committed XChaCha20-Poly1305 ciphertext bound to that header, and an Ed25519 signature over
 * both; its content address is BLAKE2b-256 of the exact bytes.
 */
export { createEntry, createEntryAsync, isLocallySigned, markSignatureVerified } from './createEntry.ts'
export type { CreateEntryInput } from './createEntry.ts'
export { parseEntry, parsedOnCopy } from './parseEntry.ts'
export {
  verifyEntry,
  verifyEntryAsync,
  verifySignature,
  verifySignatureAsync,
  hashEntryBytes,
  signatureCheckOf,
} from './verifyEntry.ts'
export { decryptEntry, decryptEntryWithKey, findEntryKey } from './decryptEntry.ts'
export type { HeldKey } from './decryptEntry.ts'
export { encodeChangePayload, decodeChangePayload } from './payload.ts'
export { ENTRY_VERSION, readEntryAuthor } from './header.ts'
export type { EntryHeader } from './header.ts'
export { DEFAULT_ENTRY_LIMITS, FIELD_LIMITS } from './limits.ts'
export type { EntryLimits } from './limits.ts'
export type { EntryEnvelope, ParsedEntry } from './ParsedEntry.ts'
export { authenticateEntries, checkEntryBatch } from './authenticateEntries.ts'
export type {
  BatchCheckOptions,
  EntryBatchCheck,
  EntryOutcome,
  VouchClaim,
  VouchLookup,
} from './authenticateEntries.ts'
