import type { ChangeHash, ChangeStore, Database } from '@weft/core'
import type { EntryEnvelope } from '@weft/core/backend'

/**
 * Entries from the server into the local side of a live sync: appended to the local store (each
 * checked there), materialised when the local side is a database, and told apart from local
 * writes while they land, so the store's change event does not queue them to be sent back.
 */
export class ServerInflow {
  readonly #landing = new Set<ChangeHash>()
  readonly #local: ChangeStore
  readonly #db: Database | undefined

  constructor(local: ChangeStore, db: Database | undefined) {
    this.#local = local
    this.#db = db
  }

  /** True when `hash` is landing from the server (and forgets it): not a local write to send. */
  landed(hash: ChangeHash): boolean {
    return this.#landing.delete(hash)
  }

  /** Appends `entries` from the server; the hashes newly added. */
  async append(entries: readonly EntryEnvelope[]): Promise<readonly ChangeHash[]> {
    if (!entries.length) return []
    for (const e of entries) this.#landing.add(e.hash as ChangeHash)
    try {
      const r = await this.#local.appendMany(entries)
      if (this.#db && r.added.length) await this.#db.syncStoreChanges(r.added)
      return r.added
    } finally {
      for (const e of entries) this.#landing.delete(e.hash as ChangeHash)
    }
  }
}
