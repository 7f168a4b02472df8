import { randomBytes } from 'node:crypto'
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
import { checkStoreIntegrity, type IntegrityOptions, type IntegrityReport } from './checkStoreIntegrity.ts'
import { guardedWrite, writeBatch, type BatchOp } from './guardedWrite.ts'
import { fingerprintsFromIndex, indexUpdate, rebuildIndex } from './levelPrefixIndex.ts'
import { storageCall } from './storageError.ts'
import { StoreLayout, type LevelDatabase, type StoreMeta } from './StoreLayout.ts'

/** Options of {@link LevelChangeStore.open}. */
export interface LevelChangeStoreOptions extends StoreOptions {
  /**
   * Flush every append to disk (fsync) before it resolves. Without it an append survives a
   * process crash as soon as it resolves, but an OS crash or power cut may lose the newest
   * appends. Default false.
   */
  readonly sync?: boolean
}

/** Stores open in this process, per database object and name: one instance each, one arrival counter. */
const openStores = new WeakMap<LevelDatabase, Map<string, Promise<LevelChangeStore>>>()

/**
 * A change store in a LevelDB database (via `level`), in its own sublevels so one database holds
 * many stores. Appends are verified by {@link BaseChangeStore}; each one is a single atomic batch
 * that writes the entries, their arrival numbers, the per-document index, the range-fingerprint
 * index and the meta record, so a crash leaves either all of it or none. The epoch is random at
 * creation and kept on disk. A range's fingerprint reads a few index nodes and at most two small
 * leaf buckets, whatever the store's size.
 *
 * One instance per store: LevelDB locks its folder against other processes, and opening a store
 * that is open already in this process returns the open instance, so every writer shares one
 * arrival counter.
 */
export class LevelChangeStore extends BaseChangeStore {
  readonly #layout: StoreLayout
  readonly #name: string
  readonly #epoch: string
  readonly #sync: boolean
  #seq: number

  private constructor(layout: StoreLayout, name: string, meta: StoreMeta, options: LevelChangeStoreOptions) {
    super(options)
    this.#layout = layout
    this.#name = name
    this.#epoch = meta.epoch
    this.#seq = meta.seq
    this.#sync = options.sync ?? false
  }

  /**
   * Opens the store `name` in `db` (an open Level database), creating it with a fresh random
   * epoch when it does not exist. While it is open, opening it again over the same database
   * object returns the same instance (with the options it was first opened with). Fails with
   * `WEFT_STORAGE_ERROR` when the database cannot be read or the store's records disagree.
   */
  static async open(db: LevelDatabase, name: string, options: LevelChangeStoreOptions = {}): Promise<LevelChangeStore> {
    let byName = openStores.get(db)
    if (!byName) openStores.set(db, (byName = new Map()))
    for (;;) {
      let pending = byName.get(name)
      if (!pending) {
        const created = LevelChangeStore.#create(db, name, options)
        const forget = () => void (byName.get(name) === created && byName.delete(name))
        created.catch(forget)
        byName.set(name, (pending = created))
      }
      const store = await pending
      if (!store.closed) return store
      // Closed since by whoever held it: open the same data again.
      if (byName.get(name) === pending) byName.delete(name)
    }
  }

  static async #create(db: LevelDatabase, name: string, options: LevelChangeStoreOptions): Promise<LevelChangeStore> {
    const layout = new StoreLayout(db, name)
    const meta = await storageCall(`opening change store ${name}`, () =>
      readOrCreateMeta(layout, name, options.sync ?? false),
    )
    return new LevelChangeStore(layout, name, meta, options)
  }

  /** The name this store was opened under. */
  get name(): string {
    return this.#name
  }

  /**
   * Reads the whole store and reports every inconsistency between entries, arrival index,
   * per-document index and meta record (none, after any crash). With `verifyEntries`, also
   * re-hashes, parses and checks the signature of every stored entry.
   */
  async checkIntegrity(options: IntegrityOptions = {}): Promise<IntegrityReport> {
    if (this.closed) throw new WeftError(ErrorCodes.CLOSED, 'store is closed')
    return storageCall(`checking change store ${this.#name}`, () => checkStoreIntegrity(this.#layout, options))
  }

  protected async _appendVerified(entries: readonly VerifiedEntry[]): Promise<void> {
    const { db, entries: bytes, arrivals, byDoc, meta } = this.#layout
    let seq = this.#seq
    const ops: BatchOp[] = []
    for (const e of entries) {
      seq++
      ops.push(
        { type: 'put', sublevel: bytes, key: e.hash, value: e.bytes },
        { type: 'put', sublevel: arrivals, key: StoreLayout.seqKey(seq), value: StoreLayout.encodeArrival(e) },
        { type: 'put', sublevel: byDoc, key: StoreLayout.docKey(e.docId, seq), value: e.hash },
      )
    }
    ops.push(
      ...(await indexUpdate(
        this.#layout,
        entries.map((e) => e.hash),
        `reading ${this.#name}`,
      )),
    )
    ops.push({
      type: 'put',
      sublevel: meta,
      key: StoreLayout.META_KEY,
      value: StoreLayout.encodeMeta({ v: 1, epoch: this.#epoch, seq, index: 1 }),
    })
    await guardedWrite(db, `appending ${entries.length} entries to ${this.#name}`, () =>
      writeBatch(db, ops, this.#sync),
    )
    // Only now, with the batch durable, do the new arrival numbers exist.
    this.#seq = seq
  }

  protected override _lastArrival(): { epoch: string; seq: number } {
    return { epoch: this.#epoch, seq: this.#seq }
  }

  protected _has(hashes: readonly ChangeHash[]): Promise<boolean[]> {
    return storageCall(`reading ${this.#name}`, () => this.#layout.entries.hasMany([...hashes]))
  }

  protected async _get(hashes: readonly ChangeHash[]): Promise<(Uint8Array | undefined)[]> {
    const values = await storageCall(`reading ${this.#name}`, () => this.#layout.entries.getMany([...hashes]))
    // level hands out Buffers; give callers plain Uint8Arrays (Buffer#slice does not copy).
    return values.map((b) => b && new Uint8Array(b.buffer, b.byteOffset, b.byteLength))
  }

  protected async _allHashes(): Promise<ChangeHash[]> {
    const rows = await storageCall(`reading ${this.#name}`, () => this.#layout.arrivals.values().all())
    return rows.map((v) => this.#arrival(v).hash)
  }

  protected async _hashesForDoc(docId: DocId): Promise<ChangeHash[]> {
    const rows = await storageCall(`reading ${this.#name}`, () =>
      this.#layout.byDoc.values(StoreLayout.docRange(docId)).all(),
    )
    return rows as ChangeHash[]
  }

  protected async _scan(afterSeq: number, limit: number): Promise<ScanItem[]> {
    if (!(afterSeq < this.#seq)) return []
    const after = Math.max(0, Math.floor(afterSeq))
    const rows = await storageCall(`scanning ${this.#name}`, () =>
      this.#layout.arrivals.iterator({ gt: StoreLayout.seqKey(after), limit }).all(),
    )
    return rows.map(([key, value]) => ({ ...this.#arrival(value), seq: Number(key) }))
  }

  protected async _head(): Promise<StoreHead> {
    // Every entry has exactly one arrival number, and numbers are gap-free: the count is the last one.
    return { epoch: this.#epoch, seq: this.#seq, count: this.#seq }
  }

  protected async _hashesInRange(range: HashRange, limit: number): Promise<ChangeHash[]> {
    if (limit <= 0 || (range.upper !== null && range.upper <= range.lower)) return []
    const bounds: { gte?: string; lt?: string; limit: number } = { limit: Number.isFinite(limit) ? limit : -1 }
    if (range.lower !== '') bounds.gte = range.lower
    if (range.upper !== null) bounds.lt = range.upper
    const keys = await storageCall(`reading ${this.#name}`, () => this.#layout.entries.keys(bounds).all())
    return keys as ChangeHash[]
  }

  protected override async _fingerprint(range: HashRange): Promise<RangeFingerprint> {
    return (await this._fingerprints([range]))[0]!
  }

  protected override _fingerprints(ranges: readonly HashRange[]): Promise<RangeFingerprint[]> {
    return storageCall(`reading ${this.#name}`, () => fingerprintsFromIndex(this.#layout, ranges))
  }

  protected async _close(): Promise<void> {
    // The database belongs to whoever opened it (usually a LevelStoreFactory): nothing to release here.
  }

  #arrival(value: string) {
    const row = StoreLayout.decodeArrival(value)
    if (!row) throw new WeftError(ErrorCodes.STORAGE_ERROR, `change store ${this.#name} holds a malformed arrival row`)
    return row
  }
}

/** The store's meta record, written with a new random epoch if the store is new. */
async function readOrCreateMeta(layout: StoreLayout, name: string, sync: boolean): Promise<StoreMeta> {
  const stored = await layout.meta.get(StoreLayout.META_KEY)
  const [last] = await layout.arrivals.keys({ reverse: true, limit: 1 }).all()
  const lastSeq = last === undefined ? 0 : Number(last)
  if (stored === undefined) {
    const [anyEntry] = await layout.entries.keys({ limit: 1 }).all()
    if (lastSeq !== 0 || anyEntry !== undefined) throw corrupt(name, 'entries without a meta record')
    const meta: StoreMeta = { v: 1, epoch: randomBytes(8).toString('hex'), seq: 0, index: 1 }
    const op = {
      type: 'put' as const,
      sublevel: layout.meta,
      key: StoreLayout.META_KEY,
      value: StoreLayout.encodeMeta(meta),
    }
    await guardedWrite(layout.db, `creating change store ${name}`, () => writeBatch(layout.db, [op], sync))
    return meta
  }
  const meta = StoreLayout.decodeMeta(stored)
  if (!meta) throw corrupt(name, 'a meta record this version does not read')
  if (meta.seq !== lastSeq) throw corrupt(name, `meta says arrival ${meta.seq}, the index ends at ${lastSeq}`)
  // Last written by a version without the fingerprint index (or never indexed): build it now.
  if (meta.index !== 1) return rebuildIndex(layout, meta, `indexing change store ${name}`, sync)
  return meta
}

function corrupt(name: string, what: string): WeftError {
  return new WeftError(ErrorCodes.STORAGE_ERROR, `change store ${name} is inconsistent: ${what}`)
}
