import { allOf, Database, type DocFilter } from '../db/index.ts'
import { ErrorCodes, toWeftError, WeftError } from '../errors.ts'
import { incrementalSync, storeOf, syncFiltered, type SyncTarget } from '../sync/index.ts'
import type { OpenLink, Relationship, TransferPlan } from './Relationship.ts'
import { ownFilterChanged, transferFilterId } from './transferFilter.ts'
import { transferDue } from './transferDue.ts'
import {
  OPEN_PERMIT,
  type RoundOutcome,
  type SyncAuthority,
  type SyncPermit,
  type SyncRequest,
  type TransferOutcome,
} from './SyncPeer.ts'
import type { SyncProgress } from '../store/index.ts'
import type { DbName } from '../types.ts'

/** What one round moved, per transfer. */
export interface RoundResult {
  readonly moved: ReadonlyMap<TransferPlan, number>
  readonly sent: number
  readonly received: number
}

/** A round failed; `db` names the local database whose transfer failed, if one did. */
export class RoundError extends Error {
  readonly error: WeftError
  readonly db: DbName | undefined
  constructor(error: WeftError, db: DbName | undefined) {
    super(error.message, { cause: error })
    this.error = error
    this.db = db
  }
}

/**
 * Runs one round of a relationship: finds the transfers whose sending store has entries past the
 * saved cursor (one `head()` each), asks both peers' authorities, delivers sealed keys, runs the
 * transfers (cursor-based, filtered when a filter applies), then one echo pass so that entries
 * received in this round do not leave the opposite cursor behind. Idle rounds without a grant do
 * nothing else.
 */
export async function runRound(
  rel: Relationship,
  defaultEnvironment: string | undefined,
  onProgress?: (plan: TransferPlan, progress: SyncProgress) => void,
): Promise<RoundResult> {
  let open: OpenLink[]
  try {
    open = rel.opened ?? (await rel.openDatabases())
  } catch (err) {
    throw new RoundError(partnerError(err), undefined)
  }
  const pending: TransferPlan[] = []
  for (const plan of rel.plans) {
    // A source that cannot say (a relay refusing us, say) counts as new: the round, under both
    // authorities, then finds out why and reports it in their terms.
    const source = rel.sourceOf(plan, open)
    const due =
      (source instanceof Database && ownFilterChanged(plan.state, rel.options.filter)) ||
      (await transferDue(
        plan.state,
        storeOf(source),
        rel.targetOf(plan, open),
        rel.options.grantId !== undefined,
      ).catch(() => true))
    if (due) pending.push(plan)
    else plan.dirty = false
  }
  const moved = new Map<TransferPlan, number>()
  if (pending.length === 0 && rel.options.grantId === undefined) return summarise(moved)
  const request = rel.request(defaultEnvironment)
  let failedDb: DbName | undefined
  try {
    await guardBoth(rel.local.syncAuthority, rel.partner.syncAuthority, request, async (permit) => {
      await deliverKeys(rel, permit)
      const outcomes: TransferOutcome[] = []
      const run = async (plan: TransferPlan): Promise<number> => {
        failedDb = plan.link.local
        plan.dirty = false
        const source = rel.sourceOf(plan, open)
        const target = rel.targetOf(plan, open)
        const filter = filterFor(rel, plan, source, permit)
        const progress = onProgress ? { onProgress: (p: SyncProgress) => onProgress(plan, p) } : {}
        const next =
          filter && source instanceof Database
            ? await syncFiltered(source, target, filter, plan.state, {
                filterId: transferFilterId(rel.options.filter, permit.filters[plan.index]),
                ...progress,
              })
            : await incrementalSync(source, target, plan.state, {
                ...progress,
                ...(rel.options.attachments ? { attachments: rel.options.attachments } : {}),
              })
        await rel.saveCursor(plan, next)
        moved.set(plan, (moved.get(plan) ?? 0) + next.lastSent)
        if (next.lastSent || next.lastRejected)
          outcomes.push({ transfer: plan.transfer, sent: next.lastSent, rejected: next.lastRejected })
        failedDb = undefined
        return next.lastSent
      }
      const filled = new Set<SyncTarget>()
      for (const plan of pending) if (await run(plan)) filled.add(rel.targetOf(plan, open))
      // Echo pass: a store that just received entries is the sending side of the opposite transfer.
      for (const plan of rel.plans) if (filled.has(rel.sourceOf(plan, open))) await run(plan)
      return { transfers: outcomes }
    })
  } catch (err) {
    throw new RoundError(toWeftError(err, ErrorCodes.PARTNER_UNAVAILABLE), failedDb)
  }
  return summarise(moved)
}

/**
 * The filter a transfer runs under: the relationship's own and the permit's. A filter needs the
 * keys, so it runs where the documents are. When the sending side is a bare store (a relay), the
 * partner's process already applied its side's rules before the entries reached the relay, and
 * this tenant's trust policy decides what it materialises; a relationship filter on such a pull
 * cannot be honoured and is refused.
 */
function filterFor(
  rel: Relationship,
  plan: TransferPlan,
  source: SyncTarget,
  permit: SyncPermit,
): DocFilter | undefined {
  if (source instanceof Database) return allOf(rel.options.filter, permit.filters[plan.index])
  if (rel.options.filter) {
    throw new WeftError(
      ErrorCodes.INVALID_ARGUMENT,
      `relationship ${rel.id}: a filter cannot run on entries pulled from a relayed store; filter on the sending side`,
    )
  }
  return undefined
}

/**
 * Nests the two authorities around the round; either may be absent. When the outer one refuses
 * before the inner one was asked, the inner one is told, so both peers' records show the refusal.
 */
async function guardBoth(
  a: SyncAuthority | undefined,
  b: SyncAuthority | undefined,
  request: SyncRequest,
  round: (permit: SyncPermit) => Promise<RoundOutcome>,
): Promise<RoundOutcome> {
  let asked = false
  const inner = (outer: SyncPermit): Promise<RoundOutcome> => {
    asked = true
    return b ? b.guard(request, (p) => round(mergePermits(outer, p))) : round(outer)
  }
  try {
    return a ? await a.guard(request, inner) : await inner(OPEN_PERMIT)
  } catch (err) {
    if (!asked && b?.refused)
      await b.refused(request, err instanceof Error ? err : new Error(String(err))).catch(() => undefined)
    throw err
  }
}

function mergePermits(a: SyncPermit, b: SyncPermit): SyncPermit {
  if (b.filters.length === 0 && !b.keys) return a
  if (a.filters.length === 0 && !a.keys) return b
  const n = Math.max(a.filters.length, b.filters.length)
  const filters = Array.from({ length: n }, (_, i) => allOf(a.filters[i], b.filters[i]))
  const keys = [...(a.keys ?? []), ...(b.keys ?? [])]
  return keys.length ? { filters, keys } : { filters }
}

async function deliverKeys(rel: Relationship, permit: SyncPermit): Promise<void> {
  for (const delivery of permit.keys ?? []) {
    const receiver = delivery.to === rel.local.id ? rel.local : delivery.to === rel.partner.id ? rel.partner : undefined
    const authority = receiver?.syncAuthority
    if (!authority) continue
    if (delivery.sealed.length) await authority.receiveKeys(delivery.grantId, delivery.sealed)
    if (delivery.roster !== undefined && authority.receiveRoster)
      await authority.receiveRoster(delivery.grantId, delivery.roster)
    await delivery.delivered()
  }
}

function summarise(moved: Map<TransferPlan, number>): RoundResult {
  let sent = 0
  let received = 0
  for (const [plan, n] of moved) plan.direction === 'push' ? (sent += n) : (received += n)
  return { moved, sent, received }
}

function partnerError(err: unknown): WeftError {
  return toWeftError(err, ErrorCodes.PARTNER_UNAVAILABLE)
}
