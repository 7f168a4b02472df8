import {
  DEFAULT_ENTRY_LIMITS,
  ErrorCodes,
  markSignatureVerified,
  verifyEntryAsync,
  WeftError,
  type ChangeHash,
  type CheckedRead,
  type EntryEnvelope,
  type EntryLimits,
  type RejectedEntry,
} from '@weft/core/backend'

/**
 * Verifies entries a server returned for `hashes` (its answer to each, in order; `undefined` when it
 * does not hold one) as if they came from anywhere: size, the hash of the exact bytes, structure, and
 * the author's signature, all concurrently (WebCrypto spreads them over every core). Each entry that
 * fails is a {@link RejectedEntry} with its typed code — `WEFT_HASH_MISMATCH` for bytes that are not
 * the entry asked for (tampered, or another well-formed entry), `WEFT_BAD_SIGNATURE`,
 * `WEFT_MALFORMED_ENTRY`, `WEFT_ENTRY_TOO_LARGE` — never silently left out. Entries that verify are
 * marked so the local store they go to next does not check the signature a second time.
 */
export async function verifyServedEntries(
  hashes: readonly ChangeHash[],
  served: readonly (Uint8Array | undefined)[],
  limits: EntryLimits = DEFAULT_ENTRY_LIMITS,
): Promise<CheckedRead> {
  const checked = await Promise.all(
    hashes.map(async (hash, i): Promise<EntryEnvelope | RejectedEntry | undefined> => {
      const bytes = served[i]
      if (!bytes) return undefined
      try {
        await verifyEntryAsync(hash, bytes, limits)
        return markSignatureVerified({ hash, bytes })
      } catch (err) {
        const error =
          err instanceof WeftError
            ? err
            : new WeftError(ErrorCodes.MALFORMED_ENTRY, 'entry bytes could not be checked', { cause: err })
        return { hash, error }
      }
    }),
  )
  const entries: EntryEnvelope[] = []
  const rejected: RejectedEntry[] = []
  for (const c of checked) {
    if (!c) continue
    if ('error' in c) rejected.push(c)
    else entries.push(c)
  }
  return { entries, rejected }
}
