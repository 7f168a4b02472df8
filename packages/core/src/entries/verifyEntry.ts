import { toHex } from '../codec/index.ts'
import {
  blake2b256,
  Domain,
  domainMessage,
  verifyDetached,
  verifyDetachedAsync,
  type SignatureCheck,
} from '../crypto/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import { asChangeHash, type ChangeHash } from '../types.ts'
import { DEFAULT_ENTRY_LIMITS, type EntryLimits } from './limits.ts'
import { parseEntry } from './parseEntry.ts'
import type { ParsedEntry } from './ParsedEntry.ts'

/** The content address of entry bytes. */
export function hashEntryBytes(bytes: Uint8Array): ChangeHash {
  return asChangeHash(toHex(blake2b256(bytes)))
}

/**
 * Checks entry bytes received from anywhere untrusted, in order of cost: size, content hash of the
 * exact bytes (`WEFT_HASH_MISMATCH`), structure, then the author's Ed25519 signature over every
 * byte before it (`WEFT_BAD_SIGNATURE`). Never re-encodes. Says nothing about whether the author
 * is trusted: that is the database's decision.
 */
export function verifyEntry(
  hash: ChangeHash,
  bytes: Uint8Array,
  limits: EntryLimits = DEFAULT_ENTRY_LIMITS,
  options: { signature?: boolean } = {},
): ParsedEntry {
  if (!(bytes instanceof Uint8Array))
    throw new WeftError(ErrorCodes.MALFORMED_ENTRY, 'entry bytes must be a Uint8Array')
  if (bytes.length > limits.maxEntryBytes) {
    throw new WeftError(
      ErrorCodes.ENTRY_TOO_LARGE,
      `entry of ${bytes.length} bytes is over the ${limits.maxEntryBytes} limit`,
    )
  }
  const actual = hashEntryBytes(bytes)
  if (actual !== hash) throw new WeftError(ErrorCodes.HASH_MISMATCH, `entry bytes hash to ${actual}, not ${hash}`)
  const parsed = parseEntry(hash, bytes, limits)
  if (options.signature !== false && !verifySignature(parsed))
    throw new WeftError(ErrorCodes.BAD_SIGNATURE, `entry ${hash} signature does not verify`)
  return parsed
}

/** Verifies the author's signature over everything that precedes it. */
export function verifySignature(entry: ParsedEntry): boolean {
  const signed = entry.bytes.subarray(0, entry.bytes.length - entry.signature.length)
  return verifyDetached(Domain.entrySignature, signed, entry.signature, entry.header.author)
}

/**
 * {@link verifyEntry} with the signature checked asynchronously (WebCrypto where available), so a
 * batch verified with `Promise.all` spreads over every core. Same checks, same error codes.
 */
export async function verifyEntryAsync(
  hash: ChangeHash,
  bytes: Uint8Array,
  limits: EntryLimits = DEFAULT_ENTRY_LIMITS,
  options: { signature?: boolean } = {},
): Promise<ParsedEntry> {
  const parsed = verifyEntry(hash, bytes, limits, { signature: false })
  if (options.signature === false) return parsed
  const signed = parsed.bytes.subarray(0, parsed.bytes.length - parsed.signature.length)
  if (!(await verifyDetachedAsync(Domain.entrySignature, signed, parsed.signature, parsed.header.author))) {
    throw new WeftError(ErrorCodes.BAD_SIGNATURE, `entry ${hash} signature does not verify`)
  }
  return parsed
}

/** {@link verifySignature} through WebCrypto where available, so signatures checked together use every core. */
export function verifySignatureAsync(entry: ParsedEntry): Promise<boolean> {
  const signed = entry.bytes.subarray(0, entry.bytes.length - entry.signature.length)
  return verifyDetachedAsync(Domain.entrySignature, signed, entry.signature, entry.header.author)
}

/** The Ed25519 check of an entry's signature, for a `SignatureVerifier` (a pool of threads). */
export function signatureCheckOf(entry: ParsedEntry): SignatureCheck {
  const signed = entry.bytes.subarray(0, entry.bytes.length - entry.signature.length)
  return {
    message: domainMessage(Domain.entrySignature, signed),
    signature: entry.signature,
    publicKey: entry.header.author,
  }
}
