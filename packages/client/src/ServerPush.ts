import {
  asChangeHash,
  WeftError,
  type AppendResult,
  type ChangeHash,
  type EntryEnvelope,
  type RejectedEntry,
} from '@weft/core/backend'
import { DIRECTORY_DB } from '@weft/core'
import type { WireEntry } from '@weft/protocol'
import type { ServerConnection } from './ServerConnection.ts'

/** Bytes of entries per push request, well under the default body limit. */
const PUSH_BYTES = 4 * 1024 * 1024

/**
 * Pushes of a {@link RemoteChangeStore} to its database on the server: entries go in batches, and
 * what the server said of each entry it did not add is kept for `appendMany` to report.
 */
export class ServerPush {
  readonly #connection: ServerConnection
  readonly #db: string
  /** What the server said of entries it did not add, for `appendMany` to report. */
  readonly #outcome = new Map<string, { existing: true } | { existing: false; error: WeftError }>()

  /** Pushes to database `db` over `connection`. */
  constructor(connection: ServerConnection, db: string) {
    this.#connection = connection
    this.#db = db
  }

  /** {@link RemoteChangeStore.relay}: sends entries in batches; the server verifies each again. */
  async relay(entries: readonly EntryEnvelope[]): Promise<AppendResult> {
    const added: ChangeHash[] = []
    const existing: ChangeHash[] = []
    const rejected: RejectedEntry[] = []
    for (const batch of batches(entries, this.#connection.limits.maxEntriesPerRequest, PUSH_BYTES)) {
      const { results } = await this.#connection.db(this.#db, 'push', { entries: batch.map(wire) })
      for (const r of results) {
        const h = asChangeHash(r.hash)
        if (r.status === 'added') added.push(h)
        else if (r.status === 'existing') existing.push(h)
        else if (r.status === 'rejected')
          rejected.push({ hash: h, error: new WeftError(r.code as WeftError['code'], r.message) })
      }
    }
    // New directory entries: the server also gets the directory's plaintext signed records, so it
    // admits (and stops admitting) the devices they name now, not at the next sign-in.
    if (this.#db === DIRECTORY_DB && added.length) await this.#connection.syncDirectory().catch(() => undefined)
    return { added, existing, rejected }
  }

  /** Keeps what the server said of the entries of `r` it did not add. */
  remember(r: AppendResult): void {
    for (const h of r.existing) this.#outcome.set(h, { existing: true })
    for (const { hash, error } of r.rejected) this.#outcome.set(hash, { existing: false, error })
  }

  /** `r` as the base class reported it, with each entry the server refused moved to `rejected` with the server's code. */
  report(r: AppendResult): AppendResult {
    if (this.#outcome.size === 0) return r
    const existing: ChangeHash[] = []
    const rejected: RejectedEntry[] = [...r.rejected]
    for (const h of r.existing) {
      const o = this.#outcome.get(h)
      this.#outcome.delete(h)
      if (o && !o.existing) rejected.push({ hash: h, error: o.error })
      else existing.push(h)
    }
    return { added: r.added, existing, rejected }
  }
}

const wire = (e: EntryEnvelope): WireEntry => ({ hash: e.hash, bytes: e.bytes })

/** Splits entries into batches of at most `count` entries and about `bytes` bytes. */
function* batches(entries: readonly EntryEnvelope[], count: number, bytes: number): Generator<EntryEnvelope[]> {
  let batch: EntryEnvelope[] = []
  let size = 0
  for (const e of entries) {
    if (batch.length && (batch.length >= count || size + e.bytes.length > bytes)) {
      yield batch
      batch = []
      size = 0
    }
    batch.push(e)
    size += e.bytes.length + 80
  }
  if (batch.length) yield batch
}
