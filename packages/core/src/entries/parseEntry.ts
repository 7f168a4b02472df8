import { ByteReader } from '../codec/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import type { ChangeHash } from '../types.ts'
import { codecToWeft, readHeader } from './header.ts'
import { DEFAULT_ENTRY_LIMITS, type EntryLimits } from './limits.ts'
import type { ParsedEntry } from './ParsedEntry.ts'

const SIGNATURE_BYTES = 64

/**
 * Parses the structure of an entry without any cryptography. The size limit is checked first;
 * truncated, oversized or trailing bytes fail with `WEFT_MALFORMED_ENTRY` or `WEFT_ENTRY_TOO_LARGE`.
 * The hash is taken as given: use {@link verifyEntry} for bytes from anywhere untrusted.
 */
export function parseEntry(
  hash: ChangeHash,
  bytes: Uint8Array,
  limits: EntryLimits = DEFAULT_ENTRY_LIMITS,
): ParsedEntry {
  if (!(bytes instanceof Uint8Array))
    throw new WeftError(ErrorCodes.MALFORMED_ENTRY, 'entry bytes must be a Uint8Array')
  if (bytes.length > limits.maxEntryBytes) {
    throw new WeftError(
      ErrorCodes.ENTRY_TOO_LARGE,
      `entry of ${bytes.length} bytes is over the ${limits.maxEntryBytes} limit`,
    )
  }
  const r = new ByteReader(bytes)
  const header = readHeader(r, limits)
  const headerBytes = bytes.subarray(0, r.position)
  try {
    const ciphertext = r.bytes(limits.maxEntryBytes)
    const signature = r.fixed(SIGNATURE_BYTES)
    r.end()
    return { hash, bytes, header, headerBytes, ciphertext, signature }
  } catch (err) {
    throw codecToWeft(err)
  }
}
