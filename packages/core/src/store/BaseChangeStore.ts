import { RecentText, toHex } from '../codec/index.ts'
import { copyBytesInto } from './copyBytesInto.ts'
import type { SignatureVerifier } from '../crypto/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import {
  authenticateEntries,
  checkEntryBatch,
  DEFAULT_ENTRY_LIMITS,
  hashEntryBytes,
  isLocallySigned,
  parseEntry,
  type EntryEnvelope,
  type EntryLimits,
  type ParsedEntry,
  type VouchClaim,
} from '../entries/index.ts'
import type { ChangeHash, Cursor, DocId, EntryKind } from '../types.ts'
import type {
  AppendListener,
  AppendResult,
  ChangeStore,
  HashRange,
  RangeFingerprint,
  RejectedEntry,
  ScanItem,
  ScanPage,
  StoreHead,
} from './ChangeStore.ts'
import { fingerprintOf } from './fingerprint.ts'
import { MissingVouches, type Vouching } from './MissingVouches.ts'
import { Mutex } from './Mutex.ts'
import { StoredEntry } from './StoredEntry.ts'

/** An entry that passed verification, ready for a backend to make durable. */
export interface VerifiedEntry {
  readonly hash: ChangeHash
  readonly bytes: Uint8Array
  readonly docId: DocId
  readonly kind: EntryKind
  /** The signer's Ed25519 public key, hex. */
  readonly author: string
  /** The hashes the entry lists in its signed `deps`. */
  readonly deps: readonly ChangeHash[]
  /**
   * The entry parsed, its views into `bytes` (the store's own copy), made on first use. Append
   * listeners hear these objects as the stored entries, and a database materialising them does
   * not parse them again.
   */
  readonly parsed: ParsedEntry
}

/** Options every store accepts. */
export interface StoreOptions {
  readonly limits?: EntryLimits
  /** Most entries one `appendMany` call may carry. */
  readonly maxBatch?: number
  /**
   * What `getChanges` checks of the bytes a backend returns: `hash` (default; a corrupted entry is
   * left out, as if not held) or `signature` as well, for backends whose bytes cross a network.
   */
  readonly verifyReads?: 'hash' | 'signature'
  /**
   * Checks the signatures of large batches on other threads: a pool from `createNodeVerifierPool`
   * (`@weft/store-level`) or `createWebVerifierPool`. Batches below its `minBatch` are checked
   * here. It accepts exactly what the check here accepts; the store never closes it.
   */
  readonly verifier?: SignatureVerifier
}

const DEFAULT_MAX_BATCH = 10_000
const DEFAULT_SCAN_LIMIT = 1_000
/** Hex characters of an entry hash a cursor keeps as the check of its position (64 bits). */
const CURSOR_CHECK_CHARS = 16

/** The position check a cursor at the entry `hash` carries. */
export function positionCheck(hash: ChangeHash): string {
  return hash.slice(0, CURSOR_CHECK_CHARS)
}

/** Arrival positions {@link BaseChangeStore.inArrivalOrder} reads at a time. */
const ARRIVAL_WALK_PAGE = 10_000

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
  protected abstract _close(): Promise<void>

  /** Backends with an incremental index may override this. */
  protected async _fingerprint(range: HashRange): Promise<RangeFingerprint> {
    return fingerprintOf(await this._hashesInRange(range, Infinity))
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
    const own = this.#ownCopies(list)
    // Signatures are checked concurrently (on every core where the platform allows), and while
    // earlier appends commit; this append's turn to commit is taken now, so appends commit in the
    // order they were called. An entry this process just signed needs no second signature check,
    // and one vouched for by an authentic entry of its author needs none either (see
    // `checkEntryBatch`). Only entries left unauthenticated by the batch ask the store, inside the
    // turn, so every append that resolved before this one was called counts.
    const check = checkEntryBatch(own.list, this.#limits, { trusted: own.signedHere, verifier: this.#verifier })
    const { added, stored, existing, duplicates, rejected } = await this.#appendLock.run(async () => {
      const batch = await check
      this.#open()
      const claims = batch.unresolved
      const { taken, duplicates, rejected } = this.#sort(
        own.list,
        batch.settle(claims.length ? await this.#vouchedHere(claims) : []),
      )
      const held = taken.length && !this._dedupesOnAppend ? await this._has(taken.map((c) => c.hash)) : []
      const fresh = this.#stored(
        taken.filter((_, i) => !held[i]),
        own.copied,
      )
      const reported = fresh.length ? await this._appendVerified(fresh) : []
      const addedNow = reported ? [...reported] : fresh.map((c) => c.hash)
      if (this.#vouches && fresh.length) await this.#vouches.add(fresh, { has: (h) => this._has(h) })
      const addedSet = new Set(addedNow)
      return {
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
    return { added, existing: [...existing, ...duplicates], rejected }
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
   * A batch as the checks see it: each entry that can be one (bytes within the size limit) on the
   * store's own copy of its bytes, the rest as given, for the checks to refuse. What this process
   * signed stays trusted on its copy. `copied` counts the copies, so that {@link #stored} can tell
   * whether anything else shares their buffer.
   */
  #ownCopies(list: readonly EntryEnvelope[]): {
    list: EntryEnvelope[]
    signedHere: (e: EntryEnvelope) => boolean
    copied: number
  } {
    const max = this.#limits.maxEntryBytes
    const given = list.map((e) => (e !== null && typeof e === 'object' ? e.bytes : undefined)) // each read once
    const fits = given.map((b) => b instanceof Uint8Array && b.length <= max)
    const copies = this._copyAppended(given.filter((_, i) => fits[i]) as Uint8Array[])
    const signed = new Set<EntryEnvelope>()
    let next = 0
    const own = list.map((e, i) => {
      if (!fits[i]) return e
      const copy: EntryEnvelope = { hash: e.hash, bytes: copies[next++]! }
      if (isLocallySigned(e)) signed.add(copy)
      return copy
    })
    return { list: own, signedHere: (e) => signed.has(e), copied: copies.length }
  }

  /**
   * The entries to store, on the copies the checks read. When the batch dropped any (refused,
   * repeated, already held), the rest are copied again so that a shared buffer does not keep the
   * dropped bytes alive for as long as the store holds the entries.
   */
  #stored(fresh: readonly ParsedEntry[], copied: number): StoredEntry[] {
    const bytes = fresh.length < copied ? this._copyAppended(fresh.map((o) => o.bytes)) : fresh.map((o) => o.bytes)
    const authors = new RecentText() // author keys repeat in runs: hex each run once
    return fresh.map((o, i) => new StoredEntry(o, bytes[i]!, authors.of(o.header.author, toHex)))
  }

  /** Sorts a settled batch: what passed (first copy of each), repeats, and refusals. */
  #sort(
    list: readonly EntryEnvelope[],
    outcomes: readonly (ParsedEntry | WeftError)[],
  ): { taken: ParsedEntry[]; duplicates: ChangeHash[]; rejected: RejectedEntry[] } {
    const duplicates: ChangeHash[] = []
    const rejected: RejectedEntry[] = []
    const seen = new Set<string>()
    const taken: ParsedEntry[] = []
    outcomes.forEach((o, i) => {
      const hash = (typeof list[i]?.hash === 'string' ? list[i]!.hash : '') as ChangeHash
      if (o instanceof WeftError) rejected.push({ hash, error: o })
      else if (seen.has(hash)) duplicates.push(hash)
      else {
        seen.add(hash)
        taken.push(o)
      }
    })
    return { taken, duplicates, rejected }
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
    const bytes = await this._get(hashes)
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
    const wanted = new Set(hashes)
    const found: ChangeHash[] = []
    for (let after = 0; found.length < wanted.size;) {
      const page = await this._scan(after, ARRIVAL_WALK_PAGE)
      for (const item of page) if (wanted.has(item.hash)) found.push(item.hash)
      if (page.length < ARRIVAL_WALK_PAGE) break
      after = page.at(-1)!.seq
    }
    return found
  }

  async findNewChanges(knownHashes: Iterable<ChangeHash>): Promise<ChangeHash[]> {
    this.#open()
    const known = knownHashes instanceof Set ? (knownHashes as Set<ChangeHash>) : new Set(knownHashes)
    return (await this._allHashes()).filter((h) => !known.has(h))
  }

  async scan(since: Cursor | null, options: { limit?: number } = {}): Promise<ScanPage> {
    this.#open()
    const limit = Math.max(1, Math.min(options.limit ?? DEFAULT_SCAN_LIMIT, 100_000))
    const head = await this._head()
    // A cursor of another epoch, or past the newest entry of its own (a copy of this store that had
    // gone further, and this one was restored from an older backup), starts over. So does one whose
    // position check names another entry than this store holds at its `seq`: a restored store that
    // has since taken other entries past the cursor's number.
    let reset = since !== null && (since.epoch !== head.epoch || since.seq > head.seq)
    let at: string | undefined
    if (since !== null && !reset && since.seq > 0) {
      const [held] = await this._scan(since.seq - 1, 1)
      if (!held || held.seq !== since.seq || (typeof since.at === 'string' && !held.hash.startsWith(since.at)))
        reset = true
      else at = positionCheck(held.hash)
    }
    const after = since === null || reset ? 0 : since.seq
    const entries = await this._scan(after, limit)
    const last = entries[entries.length - 1]
    const cursor: Cursor = last
      ? { epoch: head.epoch, seq: last.seq, at: positionCheck(last.hash) }
      : after > 0 && at !== undefined
        ? { epoch: head.epoch, seq: after, at }
        : { epoch: head.epoch, seq: after }
    return { entries, cursor, reset, done: entries.length < limit }
  }

  async head(): Promise<StoreHead> {
    this.#open()
    return this._head()
  }

  async fingerprint(range: HashRange): Promise<RangeFingerprint> {
    this.#open()
    return this._fingerprint(range)
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
