import {
  BaseChangeStore,
  ErrorCodes,
  WeftError,
  type ChangeHash,
  type DocId,
  type HashRange,
  type RangeFingerprint,
  type ScanItem,
  type StoreHead,
  type StoreOptions,
  type VerifiedEntry,
} from '@weft/core/backend'
import { unwrap, type IDBPTransaction, type StoreNames } from 'idb'
import { exactBytes } from './exactBytes.ts'
import { docGroupRecords } from './groupByDoc.ts'
import { ensureIndex, fingerprintsInTx, INDEX_MARK, writeIndexNodes } from './idbPrefixIndex.ts'
import { docKeyRange, hashKeyRange, logKeyRange } from './keyRanges.ts'
import type { LogRecord, StoreMeta, WeftIdb, WeftIdbSchema } from './openWeftIdb.ts'
import { announcement, channelName, parseAnnouncement } from './tabAnnouncements.ts'
import { toStorageError } from './toStorageError.ts'

/** Options of {@link IdbChangeStore}. */
export interface IdbChangeStoreOptions extends StoreOptions {
  /**
   * Durability of append transactions. `'strict'` (the default) reports an append only after the
   * browser flushed it to disk, so a crash or power loss right after cannot lose it; `'relaxed'`
   * is faster and may lose the last appends on power loss (never on a tab or browser crash).
   */
  readonly durability?: 'strict' | 'relaxed'
}

const APPEND_STORES = ['entries', 'log', 'docGroups', 'meta', 'prefixSums'] as const

type Tx<S extends StoreNames<WeftIdbSchema>[], M extends IDBTransactionMode> = IDBPTransaction<WeftIdbSchema, S, M>

/**
 * A change store in IndexedDB. Many stores share one database (see {@link IdbStoreFactory}); each
 * keeps its entries under its own name:
 *
 * - entries by hash, so a hash range is one key range;
 * - its arrival order, one `log` record per append (hashes, documents and kinds of the entries it
 *   added, keyed by the first one's arrival number), and its documents' histories, one `docGroups`
 *   record per 32 documents an append touched;
 * - a meta record with its epoch and last arrival number;
 * - its range-fingerprint index (partial sums per hash prefix, in 17 records), so a range's
 *   fingerprint reads at most three records and two small leaf buckets, whatever the store's size.
 *
 * An append is one readwrite transaction that reads the last arrival number, writes the entries,
 * their log and document records and the index, and moves the number on: an entry is visible
 * exactly when its arrival number is, and a failed or aborted append leaves nothing behind. Its
 * requests are one per entry (the `add`) plus about 40 whatever the batch size, and one per 32
 * documents the batch touches (see `openWeftIdb.ts` for the layout). Verification and
 * copying happen in `BaseChangeStore` before the transaction opens, and the transaction awaits
 * nothing but its own requests (IndexedDB commits a transaction as soon as it sits idle).
 *
 * Tabs share the database: after each append the store announces the new hashes on a
 * `BroadcastChannel` named after the database and store, and the same store in every other tab
 * tells its subscribers (a `Database` over it materialises them). Nothing about the arrival order
 * is kept in memory, so appends from several tabs never reuse a number.
 */
export class IdbChangeStore extends BaseChangeStore {
  readonly #db: WeftIdb
  readonly #name: string
  readonly #durability: 'strict' | 'relaxed'
  readonly #channel: BroadcastChannel | null
  /** Subscribers told about other tabs' appends; `BaseChangeStore` tells them about this one's. */

  /**
   * Opens the change store `name` inside an open Weft IndexedDB database, creating its meta record
   * (and so its epoch) the first time. The store does not close `db`; its owner does.
   */
  static async open(db: WeftIdb, name: string, options: IdbChangeStoreOptions = {}): Promise<IdbChangeStore> {
    try {
      const tx = db.transaction(['meta', 'entries', 'prefixSums'], 'readwrite')
      const create = async (): Promise<void> => {
        const meta = await tx.objectStore('meta').get(name)
        if (!meta) await tx.objectStore('meta').put({ epoch: newEpoch(), seq: 0, index: INDEX_MARK }, name)
        else await ensureIndex(tx, name, meta)
      }
      await Promise.all([create(), tx.done])
    } catch (err) {
      throw toStorageError(err, `open change store ${name}`)
    }
    return new IdbChangeStore(db, name, options)
  }

  private constructor(db: WeftIdb, name: string, options: IdbChangeStoreOptions) {
    super(options)
    this.#db = db
    this.#name = name
    this.#durability = options.durability ?? 'strict'
    this.#channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(channelName(db.name, name)) : null
    if (this.#channel) this.#channel.onmessage = (event: MessageEvent) => this.#heard(event.data)
  }

  /** The store's name inside its IndexedDB database. */
  get name(): string {
    return this.#name
  }

  /** Each entry in a buffer of its own: IndexedDB would clone the whole buffer of a view. */
  protected override _copyAppended(bytes: readonly Uint8Array[]): Uint8Array[] {
    return bytes.map((b) => new Uint8Array(b))
  }

  /** Duplicates (another tab's appends included) are skipped inside the append transaction. */
  protected override readonly _dedupesOnAppend = true

  protected async _appendVerified(entries: readonly VerifiedEntry[]): Promise<ChangeHash[]> {
    let added: ChangeHash[]
    try {
      added = (await this.#appendInTransaction(entries)) as ChangeHash[]
    } catch (err) {
      throw toStorageError(err, `append ${entries.length} entries to ${this.#name}`)
    }
    if (added.length) this.#announce(added)
    return added
  }

  /**
   * One readwrite transaction, in plain IndexedDB requests and callbacks (no awaits, so it cannot
   * commit early): read the meta record, `add` each entry (an entry another tab added since
   * `BaseChangeStore` checked fails with a `ConstraintError`, which is handled and skipped), take
   * each added entry in arrival order from its success callback (callbacks run in request order),
   * and after the last write the log record, the document records, the index and the meta record.
   * Resolves with the added hashes once the transaction has committed; rejects with the first
   * failure, and then nothing was committed.
   */
  #appendInTransaction(entries: readonly VerifiedEntry[]): Promise<string[]> {
    const tx = unwrap(this.#db).transaction([...APPEND_STORES], 'readwrite', { durability: this.#durability })
    const name = this.#name
    return new Promise<string[]>((resolve, reject) => {
      let failure: unknown
      const fail = (err: unknown): void => {
        failure ??= err
        abortQuietly(tx)
      }
      /** Runs a callback's work; an exception aborts the transaction with that error as the cause. */
      const guard = (work: () => void): void => {
        try {
          work()
        } catch (err) {
          fail(err)
        }
      }
      tx.oncomplete = () => resolve(added)
      tx.onabort = () =>
        reject(failure ?? tx.error ?? new DOMException('the append transaction was aborted', 'AbortError'))

      const entryStore = tx.objectStore('entries')
      const metaStore = tx.objectStore('meta')
      const added: string[] = []
      const docIds: string[] = []
      const kinds: VerifiedEntry['kind'][] = []
      let meta: StoreMeta | undefined
      let pending = entries.length
      const settled = (): void => {
        if (--pending > 0 || failure !== undefined || !added.length) return
        // The added entries take the arrival numbers after the meta record's, without gaps.
        const first = meta!.seq + 1
        tx.objectStore('log').put({ hashes: added, docIds, kinds } satisfies LogRecord, [name, first])
        const groups = tx.objectStore('docGroups')
        docGroupRecords(name, added, docIds).forEach((record, group) => groups.put(record, [name, first, group]))
        // The index records of the added hashes, then the meta record, in this same transaction.
        writeIndexNodes(tx.objectStore('prefixSums'), name, added, guard, () =>
          metaStore.put(
            { epoch: meta!.epoch, seq: meta!.seq + added.length, index: INDEX_MARK } satisfies StoreMeta,
            name,
          ),
        )
      }
      guard(() => {
        const read = metaStore.get(name)
        read.onsuccess = () =>
          guard(() => {
            meta = read.result as StoreMeta | undefined
            if (!meta) throw new WeftError(ErrorCodes.STORAGE_ERROR, `change store ${name} has no meta record`)
          })
        for (const e of entries) {
          const request = entryStore.add(exactBytes(e.bytes), [name, e.hash])
          request.onsuccess = () =>
            guard(() => {
              if (failure !== undefined) return
              added.push(e.hash)
              docIds.push(e.docId)
              kinds.push(e.kind)
              settled()
            })
          request.onerror = (event) => {
            if (request.error?.name !== 'ConstraintError') return // aborts the transaction
            event.preventDefault() // held already: skip it, keep the transaction
            event.stopPropagation()
            guard(settled)
          }
        }
      })
    })
  }

  protected _has(hashes: readonly ChangeHash[]): Promise<boolean[]> {
    return this.#read('entries', 'check entries', async (tx) => {
      const keys = await Promise.all(hashes.map((h) => tx.store.getKey([this.#name, h])))
      return keys.map((k) => k !== undefined)
    })
  }

  protected _get(hashes: readonly ChangeHash[]): Promise<(Uint8Array | undefined)[]> {
    return this.#read('entries', 'read entries', (tx) => Promise.all(hashes.map((h) => tx.store.get([this.#name, h]))))
  }

  protected _allHashes(): Promise<ChangeHash[]> {
    return this.#read('log', 'list entries', async (tx) => {
      const records = await tx.store.getAll(logKeyRange(this.#name, 0))
      return records.flatMap((r) => r.hashes as ChangeHash[])
    })
  }

  protected async _hashesForDoc(docId: DocId): Promise<ChangeHash[]> {
    try {
      const tx = this.#db.transaction(['docs', 'docGroups'], 'readonly')
      const [before, groups] = await Promise.all([
        tx.objectStore('docs').getAll(docKeyRange(this.#name, docId)),
        tx.objectStore('docGroups').index('byDoc').getAll([this.#name, docId]),
        tx.done,
      ])
      // Version 3's records first: every append since the upgrade to version 4 came after them.
      const hashes = before.flat()
      for (const g of groups) for (const h of g.hashes[g.docs.findIndex((d) => d[1] === docId)] ?? []) hashes.push(h)
      return hashes as ChangeHash[]
    } catch (err) {
      throw toStorageError(err, 'list entries of a document')
    }
  }

  /**
   * The log record holding `afterSeq + 1` (the last one keyed at or below it), then the records
   * after it, fetched a few at a time until `limit` entries are in hand.
   */
  protected _scan(afterSeq: number, limit: number): Promise<ScanItem[]> {
    return this.#read('log', 'scan entries', async (tx) => {
      const items: ScanItem[] = []
      const take = (first: number, r: LogRecord): void => {
        for (let i = Math.max(0, afterSeq + 1 - first); i < r.hashes.length && items.length < limit; i++)
          items.push({
            hash: r.hashes[i] as ChangeHash,
            seq: first + i,
            docId: r.docIds[i] as DocId,
            kind: r.kinds[i]!,
          })
      }
      const holding = await tx.store.openCursor(IDBKeyRange.bound([this.#name, 0], [this.#name, afterSeq + 1]), 'prev')
      if (holding) take(holding.primaryKey[1], holding.value)
      let after = afterSeq + 1
      let batch = 16
      while (items.length < limit) {
        const range = IDBKeyRange.bound([this.#name, after], [this.#name, Infinity], true)
        const [keys, records] = await Promise.all([tx.store.getAllKeys(range, batch), tx.store.getAll(range, batch)])
        records.forEach((r, i) => take(keys[i]![1], r))
        if (records.length < batch) break
        after = keys[keys.length - 1]![1]
        batch = Math.min(batch * 4, 1_024)
      }
      return items
    })
  }

  protected _head(): Promise<StoreHead> {
    return this.#read('meta', 'read the store head', async (tx) => {
      const meta = await tx.store.get(this.#name)
      if (!meta) throw new WeftError(ErrorCodes.STORAGE_ERROR, `change store ${this.#name} has no meta record`)
      return { epoch: meta.epoch, seq: meta.seq, count: meta.seq }
    })
  }

  protected _hashesInRange(range: HashRange, limit: number): Promise<ChangeHash[]> {
    const keys = hashKeyRange(this.#name, range)
    if (keys === null || limit <= 0) return Promise.resolve([])
    return this.#read('entries', 'list a hash range', async (tx) => {
      const found = await tx.store.getAllKeys(keys, Number.isFinite(limit) ? limit : undefined)
      return found.map((k) => k[1] as ChangeHash)
    })
  }

  protected override async _fingerprint(range: HashRange): Promise<RangeFingerprint> {
    return (await this._fingerprints([range]))[0]!
  }

  protected override async _fingerprints(ranges: readonly HashRange[]): Promise<RangeFingerprint[]> {
    try {
      const tx = this.#db.transaction(['prefixSums', 'entries'], 'readonly')
      const [values] = await Promise.all([fingerprintsInTx(tx, this.#name, ranges), tx.done])
      return values
    } catch (err) {
      throw toStorageError(err, 'fingerprint a hash range')
    }
  }

  protected async _close(): Promise<void> {
    this.#channel?.close()
  }

  /** Runs `fn` in a readonly transaction and maps failures to Weft errors. */
  async #read<S extends StoreNames<WeftIdbSchema>, T>(
    store: S,
    action: string,
    fn: (tx: Tx<[S], 'readonly'>) => Promise<T>,
  ): Promise<T> {
    try {
      const tx = this.#db.transaction(store, 'readonly')
      const [value] = await Promise.all([fn(tx), tx.done])
      return value
    } catch (err) {
      throw toStorageError(err, action)
    }
  }

  #announce(hashes: readonly string[]): void {
    const message = announcement(hashes)
    try {
      this.#channel?.postMessage(message)
    } catch {
      // The entries are committed; other tabs find them on their next scan.
    }
  }

  /** Another tab appended: confirm the entries are here, then tell this tab's subscribers. */
  #heard(data: unknown): void {
    const hashes = parseAnnouncement(data)
    if (hashes.length === 0 || this.closed) return
    this._has(hashes).then(
      (held) => {
        const present = hashes.filter((_, i) => held[i])
        if (present.length && !this.closed) this._announce(present)
      },
      () => undefined, // closed or failing meanwhile: the entries are still found by the next scan
    )
  }
}

function newEpoch(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

function abortQuietly(tx: { abort(): void }): void {
  try {
    tx.abort()
  } catch {
    // Already committed or aborted.
  }
}
