import { ByteReader } from '../codec/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import type { ChangeHash } from '../types.ts'
import { codecToWeft, readHeader } from './header.ts'
import { DEFAULT_ENTRY_LIMITS, type EntryLimits } from './limits.ts'
import type { ParsedEntry } from './ParsedEntry.ts'

/** The length of an entry's Ed25519 signature. */
export const SIGNATURE_BYTES = 64

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

/**
 * `parsed` (a parse of some bytes) moved onto `copy`, an exact copy of those bytes: the same
 * header, with every view into the old bytes replaced by the same range of the copy. What a store
 * that verified an entry and copied its bytes hands on, so the entry is not parsed a second time.
 * Throws when `copy` is not the same length; a caller passes the very bytes it copied.
 */
export function parsedOnCopy(parsed: ParsedEntry, copy: Uint8Array): ParsedEntry {
  if (copy.length !== parsed.bytes.length) throw new RangeError('not a copy of the parsed bytes')
  const { header } = parsed
  return {
    hash: parsed.hash,
    bytes: copy,
    header: {
      ...header,
      author: sameRange(header.author, parsed.bytes, copy),
      nonce: sameRange(header.nonce, parsed.bytes, copy),
    },
    headerBytes: sameRange(parsed.headerBytes, parsed.bytes, copy),
    ciphertext: sameRange(parsed.ciphertext, parsed.bytes, copy),
    signature: sameRange(parsed.signature, parsed.bytes, copy),
  }
}

/** The range of `copy` that `view` covers of `from`; a copy of `view` if it is not inside `from`. */
function sameRange(view: Uint8Array, from: Uint8Array, copy: Uint8Array): Uint8Array {
  const start = view.byteOffset - from.byteOffset
  return view.buffer === from.buffer && start >= 0 && start + view.length <= from.length
    ? copy.subarray(start, start + view.length)
    : view.slice()
}
