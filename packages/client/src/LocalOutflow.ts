import { ErrorCodes, toWeftError, type ChangeHash, type ChangeStore, type WeftError } from '@weft/core/backend'
import type { LiveProgress } from './LiveProgress.ts'
import type { RefusedEntries } from './RefusedEntries.ts'
import type { RemoteChangeStore } from './RemoteChangeStore.ts'

/** What a {@link LocalOutflow} works on, and how it asks its live sync. */
export interface LocalOutflowParts {
  readonly local: ChangeStore
  readonly remote: RemoteChangeStore
  /** The live sync's pending local entries: each leaves it once the server took, held or refused it. */
  readonly pending: Set<ChangeHash>
  readonly refused: RefusedEntries
  readonly progress: LiveProgress
  /** Most entries in one push. */
  readonly batch: number
  /** Whether the sync may send now: running, connected and caught up. */
  readonly canSend: () => boolean
  /** Brings the sync's status up to date. */
  readonly update: () => void
  /** A push failed: the sync drops the link (to reconnect, reconcile, and try again). */
  readonly failed: (error: WeftError) => void
}

/**
 * Local entries out to the server in a live sync: the pending ones are sent while the sync can
 * send, and each one the server refuses is recorded (it stays in the local store, and is offered
 * again on the next connection).
 */
export class LocalOutflow {
  readonly #p: LocalOutflowParts
  #pushing = false

  constructor(parts: LocalOutflowParts) {
    this.#p = parts
  }

  /** Whether a push is under way. */
  get pushing(): boolean {
    return this.#pushing
  }

  /**
   * Sends pending local entries while connected and caught up. One batch at a time: measured,
   * a second batch in flight only makes the server's verification compete with itself.
   */
  async push(): Promise<void> {
    if (this.#pushing) return
    this.#pushing = true
    const { local, remote, pending, refused, progress, batch: size, canSend, update } = this.#p
    try {
      while (canSend() && pending.size) {
        update()
        const batch = [...pending].slice(0, size)
        const entries = await local.getChanges(batch)
        const r = await remote.relay(entries)
        const found = new Set(entries.map((e) => e.hash))
        const gone = batch.filter((h) => !found.has(h)) // no longer held here: nothing to send
        for (const h of [...r.added, ...r.existing, ...gone]) pending.delete(h)
        refused.forget([...r.added, ...r.existing, ...gone])
        for (const { hash, error } of r.rejected) {
          pending.delete(hash)
          refused.refuse(hash, error)
        }
        progress.moved('sent', entries, pending.size)
      }
    } catch (err) {
      this.#p.failed(toWeftError(err, ErrorCodes.NETWORK))
    } finally {
      this.#pushing = false
      update()
    }
  }
}
