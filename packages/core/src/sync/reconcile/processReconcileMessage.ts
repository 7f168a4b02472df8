import { concatBytes, fromHex, toHex } from '../../codec/index.ts'
import { ErrorCodes, WeftError } from '../../errors.ts'
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
    const n: number[] = []
    const fps: Uint8Array[] = []
    for (const child of childPrefixes(p)) {
      const f = await source.fingerprint(prefixRange(child))
      n.push(f.count)
      fps.push(fromHex(f.fingerprint))
    }
    out.push({ t: 'split', p, n, fp: concatBytes(...fps) })
  }
  const compare = async (p: string, theirCount: number, theirFp: Uint8Array) => {
    const range = prefixRange(p)
    const mine = await source.fingerprint(range)
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

  for (const item of message.items) {
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
        const count = (await source.fingerprint(range)).count
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
  const reply: ReconcileMessage = { v: RECONCILE_VERSION, items: out }
  return { message: initiator && out.length === 0 ? null : reply, have, need }
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
