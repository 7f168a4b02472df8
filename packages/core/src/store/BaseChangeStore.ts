import { toHex } from '../codec/index.ts'
import { copyBytesInto } from './copyBytesInto.ts'
import type { SignatureVerifier } from '../crypto/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import {
  authenticateEntries,
  checkEntryBatch,
  DEFAULT_ENTRY_LIMITS,
  hashEntryBytes,
  parseEntry,
  type EntryEnvelope,
  type EntryLimits,
  type VouchClaim,
} from '../entries/index.ts'
import type { ChangeHash, Cursor, DocId } from '../types.ts'
import { ownCopies, sortOutcomes, storedEntries } from './appendBatch.ts'
import { findInArrivalOrder, scanPage } from './arrivalScan.ts'
import type {
  AppendListener,
  AppendResult,
  CappedEntries,
  ChangeStore,
  HashRange,
  RangeFingerprint,
  ScanItem,
  ScanPage,
  StoreHead,
} from './ChangeStore.ts'
import { fingerprintOf, fingerprintsFewAtOnce } from './fingerprint.ts'
import { MissingVouches, type Vouching } from './MissingVouches.ts'
import { Mutex } from './Mutex.ts'
import type { StoreOptions, VerifiedEntry } from './storeTypes.ts'

export { positionCheck } from './arrivalScan.ts'
export type { StoreOptions, VerifiedEntry } from './storeTypes.ts'

const DEFAULT_MAX_BATCH = 10_000
const DEFAULT_SCAN_LIMIT = 1_000

/**
 * The public face of every store. It verifies each appended entry (size, content hash, structure,
 * signature), dedupes, serialises appends so arrival numbers are handed out in order, and emits
 * append events. A backend implements only the underscore methods, so none can skip verification.
 */
export abstract class BaseChangeStore implements ChangeStore {
  readonly #limits: EntryLimits
  readonly #maxBatch: number
  readonly #verifyReads: 'hash' | 'signature'
  readonly #verifier: SignatureVerifier | undefined
  readonly #appendLock = new Mutex()
  readonly #listeners = new Set<AppendListener>()
  /** What held entries vouch for but the store lacks; built on first need (see {@link _vouched}). */
  #vouches: MissingVouches | undefined
  #closed = false

  constructor(options: StoreOptions = {}) {
    this.#limits = options.limits ?? DEFAULT_ENTRY_LIMITS
    this.#maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH
    this.#verifyReads = options.verifyReads ?? 'hash'
    this.#verifier = options.verifier
  }

  /**
   * Makes `entries` durable in this order, each given the next arrival number, atomically. A
   * backend that can meet a concurrent writer (another tab, another process) skips entries it finds
   * already stored inside its transaction and returns the hashes it actually added; returning
   * nothing means all were added.
   */
  protected abstract _appendVerified(entries: readonly VerifiedEntry[]): Promise<readonly ChangeHash[] | void>

  /**
   * Backends that drop duplicates inside their own append transaction set this, and the base class
   * skips its existence check before appending (one read per entry saved).
   */
  protected readonly _dedupesOnAppend: boolean = false
  protected abstract _has(hashes: readonly ChangeHash[]): Promise<boolean[]>
  protected abstract _get(hashes: readonly ChangeHash[]): Promise<(Uint8Array | undefined)[]>
  /** Every hash in arrival order. */
  protected abstract _allHashes(): Promise<ChangeHash[]>
  protected abstract _hashesForDoc(docId: DocId): Promise<ChangeHash[]>
  /** Entries with arrival number greater than `afterSeq`, at most `limit`. */
  protected abstract _scan(afterSeq: number, limit: number): Promise<ScanItem[]>
  protected abstract _head(): Promise<StoreHead>
  /** Hashes in `range` in hash order; `limit` may be Infinity. */
  protected abstract _hashesInRange(range: HashRange, limit: number): Promise<ChangeHash[]>
  /**
   * Optional, for a backend whose reads cost a round trip each: what a page of `scan` after
   * arrival number `after` reads, read together (one round trip, one snapshot): the head, the
   * first entry from `after` on (`_scan(after - 1, 1)`, which checks a cursor's position; empty
   * when `after` is 0), and `_scan(after, limit)`.
   */
  protected _scanFrom?(
    after: number,
    limit: number,
  ): Promise<{ readonly head: StoreHead; readonly at: ScanItem[]; readonly after: ScanItem[] }>
  protected abstract _close(): Promise<void>

  /** Backends with an incremental index may override this. */
  protected async _fingerprint(range: HashRange): Promise<RangeFingerprint> {
    return fingerprintOf(await this._hashesInRange(range, Infinity))
  }

  /** Backends that can read many ranges' index nodes in one go may override this. */
  protected _fingerprints(ranges: readonly HashRange[]): Promise<RangeFingerprint[]> {
    return fingerprintsFewAtOnce(ranges, (r) => this._fingerprint(r))
  }

  /** Most entries one `appendMany` call may carry (more is refused with `WEFT_TOO_MANY_ENTRIES`). */
  get maxBatch(): number {
    return this.#maxBatch
  }

  append(entry: EntryEnvelope): Promise<AppendResult> {
    return this.appendMany([entry])
  }

  async appendMany(entries: Iterable<EntryEnvelope>): Promise<AppendResult> {
    this.#open()
    const list = [...entries]
    if (list.length > this.#maxBatch) {
      throw new WeftError(
        ErrorCodes.TOO_MANY_ENTRIES,
        `${list.length} entries in one append; the limit is ${this.#maxBatch}`,
      )
    }
    // The store's own copy of the bytes is made now, before any check: the checks and the stored
    // entry then read the same bytes, which a caller changing or reusing its buffers while the
    // append is under way cannot touch.
    const own = ownCopies(list, this.#limits.maxEntryBytes, (b) => this._copyAppended(b))
    // Signatures are checked concurrently (on every core where the platform allows), and while
    // earlier appends commit; this append's turn to commit is taken now, so appends commit in the
    // order they were called. An entry this process just signed needs no second signature check,
    // and one vouched for by an authentic entry of its author needs none either (see
    // `checkEntryBatch`). Only entries left unauthenticated by the batch ask the store, inside the
    // turn, so every append that resolved before this one was called counts.
    const check = checkEntryBatch(own.list, this.#limits, { trusted: own.signedHere, verifier: this.#verifier })
    const { added, stored, existing, duplicates, rejected, arrived } = await this.#appendLock.run(async () => {
      const batch = await check
      this.#open()
      const claims = batch.unresolved
      const { taken, duplicates, rejected } = sortOutcomes(
        own.list,
        batch.settle(claims.length ? await this.#vouchedHere(claims) : []),
      )
      const held = taken.length && !this._dedupesOnAppend ? await this._has(taken.map((c) => c.hash)) : []
      const fresh = storedEntries(
        taken.filter((_, i) => !held[i]),
        own.copied,
        (b) => this._copyAppended(b),
      )
      const reported = fresh.length ? await this._appendVerified(fresh) : []
      const addedNow = reported ? [...reported] : fresh.map((c) => c.hash)
      if (this.#vouches && fresh.length) await this.#vouches.add(fresh, { has: (h) => this._has(h) })
      const addedSet = new Set(addedNow)
      return {
        arrived: addedNow.length ? this._lastArrival() : undefined,
        added: addedNow,
        stored: reported ? fresh.filter((c) => addedSet.has(c.hash)) : fresh,
        existing: [
          ...taken.filter((_, i) => held[i]).map((c) => c.hash),
          ...fresh.map((c) => c.hash).filter((h) => !addedSet.has(h)),
        ],
        duplicates,
        rejected,
      }
    })
    this._announce(added, stored)
    const result = { added, existing: [...existing, ...duplicates], rejected }
    return arrived ? { ...result, arrived } : result
  }

  /**
   * The epoch and the arrival number of the last entry the append that just committed gave, when
   * the backend knows them without a read; called inside the append's turn, right after
   * `_appendVerified` added entries. The default does not know.
   */
  protected _lastArrival(): { epoch: string; seq: number } | undefined {
    return undefined
  }

  /**
   * The store's own copies of the bytes of a batch it is about to append, so a caller reusing its
   * buffers cannot change a stored entry: by default one buffer for the batch and a view each. A
   * backend that needs each entry in a buffer of its own (IndexedDB clones a view's whole buffer)
   * overrides it, rather than copying a second time.
   */
  protected _copyAppended(bytes: readonly Uint8Array[]): Uint8Array[] {
    return copyBytesInto(bytes)
  }

  /**
   * For each claim, whether this store vouches for it: it holds the entry itself (held entries are
   * authentic), or a held entry by the claim's author lists its hash. Called inside the append turn.
   */
  async #vouchedHere(claims: readonly VouchClaim[]): Promise<boolean[]> {
    const held = await this._has(claims.map((c) => c.hash))
    const ask = claims.filter((_, i) => !held[i])
    const answers = ask.length ? await this._vouched(ask) : []
    let next = 0
    return held.map((h) => h || answers[next++] === true)
  }

  /**
   * For each claim, whether a held entry signed by `claim.author` lists `claim.hash` in its `deps`
   * (the claimed entry itself is not held). Asked only for entries whose own signature failed, so
   * rarely. The default reads every held entry once, on first use, into an in-memory index of the
   * hashes held entries list but the store lacks ({@link MissingVouches}), then keeps it up to date
   * on each append; a backend with a persisted index may override it. Entries another writer
   * (another process or tab) adds are not in that index until the store is opened again.
   */
  protected async _vouched(claims: readonly VouchClaim[]): Promise<boolean[]> {
    this.#vouches ??= await MissingVouches.build({
      page: (after) => this.#vouchingPage(after),
      has: (h) => this._has(h),
    })
    return this.#vouches.vouched(claims)
  }

  /** Held entries after `afterSeq` as vouchers, a page at a time. */
  async #vouchingPage(afterSeq: number): Promise<{ seq: number; entries: Vouching[] }> {
    const items = await this._scan(afterSeq, DEFAULT_SCAN_LIMIT)
    const bytes = await this._get(items.map((i) => i.hash))
    const entries: Vouching[] = []
    items.forEach((item, i) => {
      const b = bytes[i]
      if (!b) return
      try {
        const { header } = parseEntry(item.hash, b, this.#limits)
        entries.push({ hash: item.hash, author: toHex(header.author), deps: header.deps })
      } catch {
        // A held entry that no longer parses vouches for nothing.
      }
    })
    return { seq: items[items.length - 1]?.seq ?? afterSeq, entries }
  }

  /**
   * Answers vouch claims for a read from elsewhere (see `ChangeStore.vouched`): whether this store
   * holds the entry or a held entry of the claim's author lists its hash.
   */
  async vouched(claims: readonly VouchClaim[]): Promise<boolean[]> {
    this.#open()
    if (claims.length === 0) return []
    return this.#appendLock.run(() => this.#vouchedHere(claims))
  }

  async has(hashes: readonly ChangeHash[]): Promise<boolean[]> {
    this.#open()
    return hashes.length ? this._has(hashes) : []
  }

  async getChanges(hashes: readonly ChangeHash[]): Promise<EntryEnvelope[]> {
    this.#open()
    if (hashes.length === 0) return []
    return this.#checked(hashes, await this._get(hashes))
  }

  /**
   * For a backend that offers `getChangesUpTo` (see `ChangeStore`): runs `read`, which answers the
   * bytes of a first part of `hashes` (undefined where not held) and how many hashes that part is,
   * and checks what it read as {@link getChanges} does.
   */
  protected async _readUpTo(
    hashes: readonly ChangeHash[],
    read: () => Promise<{ readonly bytes: readonly (Uint8Array | undefined)[]; readonly taken: number }>,
  ): Promise<CappedEntries> {
    this.#open()
    if (hashes.length === 0) return { entries: [], taken: 0 }
    const { bytes, taken } = await read()
    return { entries: await this.#checked(hashes, bytes), taken }
  }

  /** The held entries of `bytes` (read for `hashes`, in order) whose bytes check out. */
  async #checked(hashes: readonly ChangeHash[], bytes: readonly (Uint8Array | undefined)[]): Promise<EntryEnvelope[]> {
    const held: EntryEnvelope[] = []
    bytes.forEach((b, i) => b && held.push({ hash: hashes[i]!, bytes: b }))
    if (this.#verifyReads === 'signature') {
      // The read authenticates itself (the backend's own records are not trusted here).
      const outcomes = await authenticateEntries(held, this.#limits, { verifier: this.#verifier })
      return held.filter((_, i) => !(outcomes[i] instanceof WeftError))
    }
    return held.filter((e) => hashEntryBytes(e.bytes) === e.hash)
  }

  async getAllChangeHashes(): Promise<ChangeHash[]> {
    this.#open()
    return this._allHashes()
  }

  async getAllChangeHashesForDoc(docId: DocId): Promise<ChangeHash[]> {
    this.#open()
    return this._hashesForDoc(docId)
  }

  /**
   * The held hashes among `hashes`, in arrival order: walks the arrival index from the start,
   * 10,000 positions a read, until every asked hash is found or the index ends. Time grows with
   * the position of the last one found, memory with `hashes` only.
   */
  async inArrivalOrder(hashes: readonly ChangeHash[]): Promise<ChangeHash[]> {
    this.#open()
    return findInArrivalOrder(hashes, (after, limit) => this._scan(after, limit))
  }

  async findNewChanges(knownHashes: Iterable<ChangeHash>): Promise<ChangeHash[]> {
    this.#open()
    const known = knownHashes instanceof Set ? (knownHashes as Set<ChangeHash>) : new Set(knownHashes)
    return (await this._allHashes()).filter((h) => !known.has(h))
  }

  async scan(since: Cursor | null, options: { limit?: number } = {}): Promise<ScanPage> {
    this.#open()
    const limit = Math.max(1, Math.min(options.limit ?? DEFAULT_SCAN_LIMIT, 100_000))
    const scan = (after: number, max: number) => this._scan(after, max)
    if (!this._scanFrom) return scanPage(since, limit, await this._head(), scan)
    // The reads a page makes, read together; a cursor that must start over reads again.
    const from = since?.seq ?? 0
    const read = await this._scanFrom(from, limit)
    return scanPage(since, limit, read.head, (after, max) =>
      after === from - 1 && max === 1
        ? Promise.resolve(read.at)
        : after === from && max === limit
          ? Promise.resolve(read.after)
          : scan(after, max),
    )
  }

  async head(): Promise<StoreHead> {
    this.#open()
    return this._head()
  }

  async fingerprint(range: HashRange): Promise<RangeFingerprint> {
    this.#open()
    return this._fingerprint(range)
  }

  async fingerprints(ranges: readonly HashRange[]): Promise<RangeFingerprint[]> {
    this.#open()
    return ranges.length ? this._fingerprints(ranges) : []
  }

  async hashesInRange(range: HashRange, options: { limit?: number } = {}): Promise<ChangeHash[]> {
    this.#open()
    return this._hashesInRange(range, options.limit ?? Infinity)
  }

  /**
   * Tells subscribers that entries became durable. The base class calls it after each append; a
   * backend calls it for entries another writer (another tab or process) added. A throwing
   * listener never affects the append or the other listeners. `entries` are the stored copies of
   * the added entries, when the caller holds them verified.
   */
  protected _announce(added: readonly ChangeHash[], entries?: readonly EntryEnvelope[]): void {
    if (added.length === 0) return
    for (const l of [...this.#listeners]) {
      try {
        l(added, entries)
      } catch (err) {
        queueMicrotask(() => {
          throw err
        })
      }
    }
  }

  subscribe(listener: AppendListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** How many listeners are subscribed now (for diagnostics and leak checks). */
  get listenerCount(): number {
    return this.#listeners.size
  }

  async close(): Promise<void> {
    if (this.#closed) return
    await this.#appendLock.run(async () => {
      this.#closed = true
      this.#listeners.clear()
      await this._close()
    })
  }

  get closed(): boolean {
    return this.#closed
  }

  #open(): void {
    if (this.#closed) throw new WeftError(ErrorCodes.CLOSED, 'store is closed')
  }
}
