import type { ChangeHash, WeftError } from '@weft/core'
import type { Refusals } from './SyncStatus.ts'

/**
 * Local entries a server refused on their last push, and why. Its summary is one object per set of
 * refusals, so statuses built from it compare equal while nothing changes.
 */
export class RefusedEntries {
  readonly #refused = new Map<ChangeHash, WeftError>()
  #summary: Refusals | undefined

  refuse(hash: ChangeHash, error: WeftError): void {
    this.#refused.set(hash, error)
    this.#summarise()
  }

  /** The server took or holds it, or it is no longer to be sent. */
  forget(hashes: Iterable<ChangeHash>): void {
    let changed = false
    for (const h of hashes) changed = this.#refused.delete(h) || changed
    if (changed) this.#summarise()
  }

  /** How many, with the oldest standing refusal's error; undefined when there are none. */
  get summary(): Refusals | undefined {
    return this.#summary
  }

  /** The `refused` field of a status. */
  part(): { refused?: Refusals } {
    return this.#summary ? { refused: this.#summary } : {}
  }

  #summarise(): void {
    const first = this.#refused.values().next()
    if (first.done) this.#summary = undefined
    else if (this.#summary?.count !== this.#refused.size || this.#summary.error !== first.value) {
      this.#summary = { count: this.#refused.size, error: first.value }
    }
  }
}
