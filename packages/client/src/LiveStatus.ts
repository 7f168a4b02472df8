import type { ChangeHash, WeftError } from '@weft/core'
import type { ConfirmedCursor } from './ConfirmedCursor.ts'
import type { LiveProgress } from './LiveProgress.ts'
import type { RefusedEntries } from './RefusedEntries.ts'
import { StatusCell } from './SyncStatus.ts'

/** What a {@link LiveStatus} reads its status from, and what it settles when up to date. */
export interface LiveStatusParts {
  /** The live sync's pending local entries. */
  readonly pending: ReadonlySet<ChangeHash>
  readonly refused: RefusedEntries
  readonly progress: LiveProgress
  readonly confirmed: ConfirmedCursor
}

/**
 * The status of a live sync, made from its pending and refused local entries and its link. Once up
 * to date with nothing pending, the catch-up's progress ends, and with nothing refused either, how
 * far the local store is on the server is confirmed.
 */
export class LiveStatus extends StatusCell {
  readonly #p: LiveStatusParts

  constructor(parts: LiveStatusParts) {
    super({ state: 'offline', pending: 0 })
    this.#p = parts
  }

  /** Offline, after a `drop` (with the delay until the next attempt and its error) or a stop. */
  offline(drop?: { retryInMs: number; error: WeftError }): void {
    this.set({ state: 'offline', pending: this.#p.pending.size, ...drop, ...this.#p.refused.part() })
  }

  /**
   * Sets the status from the link (`linked`: running with an open socket), whether it is `caughtUp`
   * and whether a push is under way; without a link, an `offline` status only takes the new counts.
   */
  update(linked: boolean, caughtUp: boolean, pushing: boolean): void {
    const { pending: entries, refused: refusals, progress, confirmed } = this.#p
    const pending = entries.size
    const now = this.peek()
    const refused = refusals.part()
    if (!linked) {
      if (now.state === 'offline') {
        const { refused: _, ...rest } = now
        this.set({ ...rest, pending, ...refused })
      }
      return
    }
    const state = caughtUp && !(pushing && pending) ? 'up-to-date' : 'syncing'
    this.set({ state, pending, ...refused })
    if (state === 'up-to-date' && pending === 0) progress.finish()
    // Everything here is on the server: remember how far. A count only, so a failure costs nothing.
    const clear = () => entries.size === 0 && !refusals.summary
    if (state === 'up-to-date' && clear()) void confirmed.confirmAll(clear).catch(() => {})
  }
}
