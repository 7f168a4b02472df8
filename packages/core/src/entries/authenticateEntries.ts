import { RecentText, toHex } from '../codec/index.ts'
import type { SignatureVerifier } from '../crypto/index.ts'
import { ErrorCodes, toWeftError, WeftError } from '../errors.ts'
import type { ChangeHash } from '../types.ts'
import type { EntryLimits } from './limits.ts'
import type { EntryEnvelope, ParsedEntry } from './ParsedEntry.ts'
import { signatureCheckOf, verifyEntry, verifySignatureAsync } from './verifyEntry.ts'

/**
 * A question to a store: does an entry it holds, signed by `author` (hex Ed25519 public key), list
 * `hash` in its `deps`? Held entries are authentic, so a yes authenticates the entry `hash` by
 * `author` (see {@link authenticateEntries}).
 */
export interface VouchClaim {
  readonly hash: ChangeHash
  readonly author: string
}

/** Answers {@link VouchClaim}s, one boolean per claim, in order. */
export type VouchLookup = (claims: readonly VouchClaim[]) => Promise<boolean[]>

/** One entry's outcome: parsed and authentic, or refused with a typed error. */
export type EntryOutcome = ParsedEntry | WeftError

/**
 * A batch of entries checked as far as the batch alone can go: every entry's size, content hash
 * and structure, and the signatures the vouching rule needs. What is left is a list of entries
 * whose own signature failed and no authentic entry of the batch vouches for: a store settles
 * them against the entries it holds ({@link EntryBatchCheck.settle}).
 */
export interface EntryBatchCheck {
  /** The entries still unauthenticated, as questions for the store. */
  readonly unresolved: readonly VouchClaim[]
  /** How many Ed25519 signatures the batch checked (the rest were vouched for, or signed here). */
  readonly signaturesChecked: number
  /** Settles the batch with the store's answers to {@link unresolved}; one outcome per entry given. */
  settle(vouched: readonly boolean[]): EntryOutcome[]
}

/** How {@link checkEntryBatch} checks signatures. */
export interface BatchCheckOptions {
  /** Entries signed in this process: they count as verified. */
  readonly trusted?: (entry: EntryEnvelope) => boolean
  /**
   * Checks a round of at least `verifier.minBatch` signatures on other threads (a worker pool);
   * smaller rounds, and every round without it, are checked here. It accepts exactly what the
   * check here accepts, so it changes only where the work runs.
   */
  readonly verifier?: SignatureVerifier
}

const NONE: readonly Node[] = []

interface Node {
  readonly parsed: ParsedEntry
  readonly author: string
  authentic: boolean
  /** Own signature checked (and failed, when not authentic). */
  checked: boolean
  /** The entries of the batch by the same author that this one lists in `deps`. */
  vouchees: readonly Node[]
}

/**
 * Checks a batch of untrusted entries under Weft's vouching rule: an entry is authentic iff its own
 * Ed25519 signature verifies, **or** an authentic entry signed by the same author key lists its
 * hash in `deps` (in this batch, or already held by the store: see {@link EntryBatchCheck}). The
 * voucher's signature covers its `deps`, and a hash covers exact bytes, so the author committed
 * to those bytes. A link to an entry of another author vouches for nothing, and bytes that do not
 * hash to the listed hash are not the listed entry.
 *
 * So a chain by one author costs one signature check, at its newest entry: signatures are checked
 * first for the entries no same-author entry of the batch lists, then for what those did not
 * authenticate. `trusted` entries (signed in this process) count as verified. Size, hash and
 * structure are always checked, for every entry; the outcome does not depend on how the entries
 * were split into batches, given the same held entries.
 */
export async function checkEntryBatch(
  list: readonly EntryEnvelope[],
  limits: EntryLimits,
  options: BatchCheckOptions = {},
): Promise<EntryBatchCheck> {
  const { trusted = () => false, verifier } = options
  const authors = new RecentText() // author keys repeat in runs: hex each run once
  const outcomes: (Node | WeftError)[] = list.map((e) => {
    const hash = (typeof e?.hash === 'string' ? e.hash : '') as ChangeHash
    try {
      const parsed = verifyEntry(hash, e?.bytes, limits, { signature: false })
      return {
        parsed,
        author: authors.of(parsed.header.author, toHex),
        authentic: trusted(e),
        checked: false,
        vouchees: NONE,
      }
    } catch (err) {
      return toWeftError(err, ErrorCodes.MALFORMED_ENTRY)
    }
  })
  // Repeats of an entry share its first copy's node (any copy signed here makes it trusted).
  const nodes = new Map<ChangeHash, Node>()
  const perEntry = outcomes.map((o) => {
    if (o instanceof WeftError) return o
    const first = nodes.get(o.parsed.hash)
    if (!first) nodes.set(o.parsed.hash, o)
    else first.authentic ||= o.authentic
    return first ?? o
  })
  // Each entry's same-author links into the batch, found once (most entries list one dep or none).
  const listed = new Set<Node>()
  for (const n of nodes.values()) {
    let found: Node[] | undefined
    for (const d of n.parsed.header.deps) {
      const v = nodes.get(d)
      if (v && v.author === n.author) (found ??= []).push(v)
    }
    if (found) {
      n.vouchees = found
      for (const v of found) listed.add(v)
    }
  }
  const spread = (from: Iterable<Node>): void => {
    const stack = [...from].filter((n) => n.authentic)
    for (let n = stack.pop(); n; n = stack.pop())
      for (const v of n.vouchees)
        if (!v.authentic) {
          v.authentic = true
          stack.push(v)
        }
  }
  const verify = async (which: Node[]): Promise<void> => {
    for (const n of which) n.checked = true
    if (verifier && which.length >= verifier.minBatch) {
      const verdicts = await verifier.verifyMany(which.map((n) => signatureCheckOf(n.parsed)))
      which.forEach((n, i) => (n.authentic = verdicts[i] === true))
    } else {
      await Promise.all(which.map(async (n) => (n.authentic = await verifySignatureAsync(n.parsed))))
    }
    spread(which)
  }
  const all = [...nodes.values()]
  spread(all)
  // First the tips: entries no same-author entry of the batch lists, so nothing here can vouch for them.
  await verify(all.filter((n) => !n.authentic && !listed.has(n)))
  // Then whatever their vouching did not reach (a voucher whose own signature failed).
  await verify(all.filter((n) => !n.authentic && !n.checked))
  const open = all.filter((n) => !n.authentic)
  return {
    unresolved: open.map((n) => ({ hash: n.parsed.hash, author: n.author })),
    signaturesChecked: all.filter((n) => n.checked).length,
    settle(vouched) {
      open.forEach((n, i) => (n.authentic = vouched[i] === true))
      spread(open)
      return perEntry.map((o) =>
        o instanceof WeftError
          ? o
          : o.authentic
            ? o.parsed
            : new WeftError(ErrorCodes.BAD_SIGNATURE, `entry ${o.parsed.hash} signature does not verify`),
      )
    },
  }
}

/**
 * {@link checkEntryBatch} settled in one go: `vouched` answers for the entries a store holds (none
 * when omitted, so the batch must authenticate itself).
 */
export async function authenticateEntries(
  list: readonly EntryEnvelope[],
  limits: EntryLimits,
  options: BatchCheckOptions & { vouched?: VouchLookup } = {},
): Promise<EntryOutcome[]> {
  const check = await checkEntryBatch(list, limits, options)
  const claims = check.unresolved
  const answers = claims.length && options.vouched ? await options.vouched(claims) : []
  return check.settle(answers)
}
