import type { ChangeHash, ChangeStore } from '@weft/core'
import { arrivalOrder } from './arrivalOrder.ts'
import type { ConfirmedCursor } from './ConfirmedCursor.ts'
import type { LiveProgress } from './LiveProgress.ts'
import type { RemoteChangeStore } from './RemoteChangeStore.ts'
import type { ServerInflow } from './ServerInflow.ts'

/** What a {@link GapRepair} works on: the live sync's sides, its pending set and its progress. */
export interface GapRepairParts {
  readonly local: ChangeStore
  readonly remote: RemoteChangeStore
  readonly inflow: ServerInflow
  /** The live sync's pending local entries: repair adds what the server lacks, drops what it had. */
  readonly pending: Set<ChangeHash>
  readonly progress: LiveProgress
  readonly confirmed: ConfirmedCursor
  /** Most entries fetched in one request, and the size above which hashes are put in arrival order. */
  readonly batch: number
}

/**
 * The repair path of a live sync: once a connection has caught up from the server cursor, it
 * reconciles both sets and finds, in bytes ∝ the difference, what either side missed (edits made
 * offline, say). Before the first reconciliation, local entries after the confirmed cursor are
 * presumed pending.
 */
export class GapRepair {
  readonly #p: GapRepairParts
  /** Local entries counted as pending from the confirmed cursor, until the first reconciliation says which the server lacks. */
  #presumed: Promise<Set<ChangeHash>> | undefined

  constructor(parts: GapRepairParts) {
    this.#p = parts
  }

  /** Counts local entries the server was not confirmed to hold as pending (once), then calls `update`. */
  presume(update: () => void): void {
    this.#presumed ??= this.#p.confirmed.unconfirmed().then(
      (hashes) => {
        for (const h of hashes) this.#p.pending.add(h)
        update()
        return new Set(hashes)
      },
      () => new Set<ChangeHash>(), // a count only: reconciliation finds them anyway
    )
  }

  /** Reconciles with the server: fetches what it missed, queues what the server lacks. */
  async run(): Promise<void> {
    const { local, remote, inflow, pending, progress, batch } = this.#p
    const presumed = (await this.#presumed) ?? new Set<ChangeHash>()
    this.#presumed = Promise.resolve(new Set())
    progress.reconciling()
    const found = await remote.reconcileWith(local)
    // Reconciliation names hashes in hash order. Sent or fetched over several batches in that
    // order, most entries would arrive before the later entry of their chain that vouches for
    // them, and be signature-checked one by one (by the server and by the receiver); in arrival
    // order each batch costs one check per chain. One batch is ordered inside its append anyway.
    // The price: a store without an arrival index by hash walks its order up to the newest of
    // `have` (the newest entries, after an offline spell), and the server answers in requests of
    // `maxHashesPerRequest` hashes; both far cheaper than a signature check per entry.
    const have = found.have.length > batch ? await arrivalOrder(local, found.have) : found.have
    const need = found.need.length > batch ? await arrivalOrder(remote, found.need) : found.need
    const lacking = new Set(have)
    for (const h of presumed) if (!lacking.has(h)) pending.delete(h) // the server had it after all
    for (const h of have) pending.add(h)
    progress.expect(need.length + pending.size)
    for (let i = 0; i < need.length; i += batch) {
      const vouched = local.vouched ? { vouched: local.vouched.bind(local) } : {}
      const { entries } = await remote.getChangesChecked(need.slice(i, i + batch), vouched)
      await inflow.append(entries)
      progress.moved('received', entries, Math.max(0, need.length - i - batch) + pending.size)
    }
  }
}
