import {
  authenticateEntries,
  DEFAULT_ENTRY_LIMITS,
  markSignatureVerified,
  WeftError,
  type ChangeHash,
  type CheckedRead,
  type EntryEnvelope,
  type EntryLimits,
  type RejectedEntry,
  type VouchLookup,
} from '@weft/core/backend'

/**
 * Verifies entries a server returned for `hashes` (its answer to each, in order; `undefined` when it
 * does not hold one) as if they came from anywhere: size, the hash of the exact bytes, structure, and
 * the author's signature under the vouching rule (an entry is authentic if its own signature
 * verifies or an authentic entry of its author, read with it or held by the store that `vouched`
 * answers for, lists its hash), signatures checked concurrently. Each entry that fails is a
 * {@link RejectedEntry} with its typed code — `WEFT_HASH_MISMATCH` for bytes that are not the entry
 * asked for (tampered, or another well-formed entry), `WEFT_BAD_SIGNATURE`, `WEFT_MALFORMED_ENTRY`,
 * `WEFT_ENTRY_TOO_LARGE` — never silently left out. Entries that verify are marked so the local
 * store they go to next does not check the signature a second time.
 */
export async function verifyServedEntries(
  hashes: readonly ChangeHash[],
  served: readonly (Uint8Array | undefined)[],
  limits: EntryLimits = DEFAULT_ENTRY_LIMITS,
  vouched?: VouchLookup,
): Promise<CheckedRead> {
  const found: EntryEnvelope[] = []
  hashes.forEach((hash, i) => {
    const bytes = served[i]
    if (bytes) found.push({ hash, bytes })
  })
  const outcomes = await authenticateEntries(found, limits, vouched ? { vouched } : {})
  const entries: EntryEnvelope[] = []
  const rejected: RejectedEntry[] = []
  outcomes.forEach((o, i) => {
    const e = found[i]!
    if (o instanceof WeftError) rejected.push({ hash: e.hash, error: o })
    else entries.push(markSignatureVerified({ hash: e.hash, bytes: e.bytes }))
  })
  return { entries, rejected }
}
