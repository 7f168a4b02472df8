import { concatBytes, fromHex, toHex } from '../../codec/index.ts'
import { ErrorCodes, WeftError } from '../../errors.ts'
import { fingerprintsFewAtOnce, type RangeFingerprint } from '../../store/index.ts'
import type { ChangeHash } from '../../types.ts'
import { packHashes, unpackHashes } from './encodeReconcileMessage.ts'
import { childPrefixes, prefixRange } from './prefixRange.ts'
import { reconcileCost } from './reconcileCost.ts'
import {
  DEFAULT_RECONCILE_OPTIONS,
  FINGERPRINT_BYTES,
  RECONCILE_LIMITS,
  RECONCILE_VERSION,
  type ReconcileItem,
  type ReconcileMessage,
  type ReconcileOptions,
  type ReconcileRole,
  type ReconcileSource,
} from './ReconcileMessage.ts'

/** What one step of reconciliation produced. */
export interface ReconcileStep {
  /**
   * The answer to send. For the initiator, `null` means reconciliation is over; a responder
   * always answers (an empty item list tells the initiator it is over).
   */
  readonly message: ReconcileMessage | null
  /** Hashes found in this step that I hold and the peer lacks. */
  readonly have: ChangeHash[]
  /** Hashes found in this step that the peer holds and I lack. */
  readonly need: ChangeHash[]
}

/**
 * One step of range-based set reconciliation (the Negentropy approach over hex prefixes of
 * uniformly distributed hashes). Ranges whose counts and fingerprints agree are settled; a
 * differing range is split into 16 children, or answered with its hash list once it holds at most
 * `leafSize` hashes. Pure over `source`: no state is kept between messages, so a responder (a
 * server) can answer any message from any peer, and the transport is the caller's.
 *
 * A message that could take more range reads than `maxRanges` (for a responder, by default
 * `RECONCILE_LIMITS.maxRangeReadsPerMessage`; {@link reconcile} splits what it sends to fit) is refused with `WEFT_WORK_LIMIT` before anything is read: with the stores' fingerprint index
 * each range costs a few reads, so this bounds the work one message can ask for.
 */
export async function processReconcileMessage(
  source: ReconcileSource,
  message: ReconcileMessage,
  options: ReconcileOptions & { readonly role: ReconcileRole; readonly maxRanges?: number },
): Promise<ReconcileStep> {
  // The responder's budget; an initiator reads answers to its own (split) messages, joined.
  const maxRanges =
    options.maxRanges ?? (options.role === 'responder' ? RECONCILE_LIMITS.maxRangeReadsPerMessage : Infinity)
  const cost = reconcileCost(message)
  if (cost > maxRanges) {
    throw new WeftError(
      ErrorCodes.WORK_LIMIT,
      `a reconciliation message may take ${cost} range reads; at most ${maxRanges} are made for one message`,
    )
  }
  const o = { ...DEFAULT_RECONCILE_OPTIONS, ...options }
  const initiator = options.role === 'initiator'
  const out: ReconcileItem[] = []
  const have: ChangeHash[] = []
  const need: ChangeHash[] = []
  let budget = o.maxIdsPerMessage

  const sendIds = (p: string, mine: ChangeHash[]) => {
    budget -= mine.length
    out.push({ t: 'ids', p, ids: packHashes(mine) })
  }
  const split = async (p: string) => {
    const fps = await fingerprintsOf(source, childPrefixes(p))
    out.push({ t: 'split', p, n: fps.map((f) => f.count), fp: concatBytes(...fps.map((f) => fromHex(f.fingerprint))) })
  }
  // The fingerprints of the ranges the items being handled compare, read together beforehand.
  let known = new Map<string, RangeFingerprint>()
  const mineOf = async (p: string) => known.get(p) ?? (await source.fingerprint(prefixRange(p)))
  const compare = async (p: string, theirCount: number, theirFp: Uint8Array) => {
    const range = prefixRange(p)
    const mine = await mineOf(p)
    if (mine.count === theirCount && mine.fingerprint === toHex(theirFp)) return
    if (theirCount === 0) {
      // The peer holds nothing here: everything of mine is new to it.
      if (initiator) have.push(...(await source.hashesInRange(range)))
      else if (mine.count <= budget || p.length === 64) sendIds(p, await source.hashesInRange(range))
      else await split(p)
    } else if (mine.count <= o.leafSize || p.length === 64) {
      sendIds(p, await source.hashesInRange(range))
    } else {
      await split(p)
    }
  }

  const handle = async (item: ReconcileItem) => {
    switch (item.t) {
      case 'fingerprint':
        await compare(item.p, item.n, item.fp)
        break
      case 'split': {
        const children = childPrefixes(item.p)
        for (let i = 0; i < children.length; i++) {
          await compare(children[i]!, item.n[i]!, item.fp.subarray(i * FINGERPRINT_BYTES, (i + 1) * FINGERPRINT_BYTES))
        }
        break
      }
      case 'ids': {
        const range = prefixRange(item.p)
        const theirs = unpackHashes(item.ids)
        if (initiator) {
          const mine = await source.hashesInRange(range)
          diffInto(mine, theirs, have, need)
          break
        }
        const count = (await mineOf(item.p)).count
        if ((count <= o.diffSize && count <= budget) || item.p.length === 64) {
          const give: ChangeHash[] = []
          const want: ChangeHash[] = []
          diffInto(await source.hashesInRange(range), theirs, give, want)
          budget -= give.length + want.length
          have.push(...give)
          need.push(...want)
          out.push({ t: 'diff', p: item.p, give: packHashes(give), want: packHashes(want) })
        } else {
          await split(item.p) // too many of mine to list: narrow down first
        }
        break
      }
      case 'diff':
        if (!initiator) throw new WeftError(ErrorCodes.PROTOCOL, 'only an initiator receives a diff')
        need.push(...unpackHashes(item.give))
        have.push(...unpackHashes(item.want))
        break
    }
  }

  // Items are handled in order, a run of them at a time: first the fingerprints of every range the
  // run compares, in one read (at most READ_TOGETHER of them, so what is held stays small whatever
  // the message), then each item as if alone.
  const { items } = message
  for (let start = 0; start < items.length;) {
    const asked: string[] = []
    let end = start
    while (end < items.length) {
      const more = comparedBy(items[end]!, initiator)
      if (asked.length > 0 && asked.length + more.length > READ_TOGETHER) break
      asked.push(...more)
      end++
    }
    const fps = await fingerprintsOf(source, asked)
    known = new Map(asked.map((p, i) => [p, fps[i]!]))
    for (let i = start; i < end; i++) await handle(items[i]!)
    start = end
  }
  const reply: ReconcileMessage = { v: RECONCILE_VERSION, items: out }
  return { message: initiator && out.length === 0 ? null : reply, have, need }
}

/** Most range fingerprints read together (one storage round trip for the stores of this repository). */
const READ_TOGETHER = 256

/** The prefixes whose fingerprints handling `item` compares first. */
function comparedBy(item: ReconcileItem, initiator: boolean): string[] {
  switch (item.t) {
    case 'fingerprint':
      return [item.p]
    case 'split':
      return childPrefixes(item.p)
    case 'ids':
      return initiator ? [] : [item.p]
    case 'diff':
      return []
  }
}

/**
 * The fingerprints of the ranges of `prefixes`, in their order, read together where the source
 * can (a store on disk then reads them in one round trip, not one each), else a few at a time.
 */
async function fingerprintsOf(source: ReconcileSource, prefixes: readonly string[]): Promise<RangeFingerprint[]> {
  const ranges = prefixes.map(prefixRange)
  if (source.fingerprints) return ranges.length ? source.fingerprints(ranges) : []
  return fingerprintsFewAtOnce(ranges, (r) => source.fingerprint(r))
}

/** `mineOnly` gets what only `mine` holds, `theirsOnly` what only `theirs` holds. */
function diffInto(
  mine: readonly ChangeHash[],
  theirs: readonly ChangeHash[],
  mineOnly: ChangeHash[],
  theirsOnly: ChangeHash[],
): void {
  const theirSet = new Set(theirs)
  const mineSet = new Set(mine)
  for (const h of mine) if (!theirSet.has(h)) mineOnly.push(h)
  for (const h of theirs) if (!mineSet.has(h)) theirsOnly.push(h)
}
