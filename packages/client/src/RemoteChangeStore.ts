import {
  BaseChangeStore,
  ErrorCodes,
  isChangeHash,
  isDocId,
  packHashes,
  reconcile,
  SortedHashSet,
  unpackHashes,
  WeftError,
  type AppendResult,
  type ChangeHash,
  type Cursor,
  type DocId,
  type EntryEnvelope,
  type HashRange,
  type RangeFingerprint,
  type ReconcileResult,
  type ReconcileSource,
  type ScanItem,
  type ScanPage,
  type StoreHead,
  type StoreOptions,
  type VerifiedEntry,
  type CheckedRead,
  type CheckedReadOptions,
  type EntryLimits,
  type AppendListener,
  type BackoffOptions,
  type VouchClaim,
} from '@weft/core/backend'
import { chunks } from './chunks.ts'
import { FedEntries } from './FedEntries.ts'
import { RemoteFeed, type LiveFeedState } from './RemoteFeed.ts'
import type { ServerConnection } from './ServerConnection.ts'
import { ServerPush } from './ServerPush.ts'
import { serverOrder, type Ordered } from './serverOrder.ts'
import { verifyServedEntries } from './verifyServedEntries.ts'
import { webSocketOf, type WebSocketConstructor } from './webSocket.ts'

/** Options of a {@link RemoteChangeStore}. */
export interface RemoteChangeStoreOptions extends StoreOptions {
  readonly connection: ServerConnection
  /** The database's name on the server. */
  readonly db: string
  /**
   * Follow the server live while something subscribes to this store (see {@link RemoteLiveOptions}).
   * Default: off.
   */
  readonly live?: RemoteLiveOptions | false
}

/** How a {@link RemoteChangeStore} follows the server live. */
export interface RemoteLiveOptions {
  /** WebSocket implementation. Default: the global `WebSocket` (browsers, Node 22+); pass `ws` in Node 20. */
  readonly webSocket?: WebSocketConstructor
  /** Reconnect delays (core's equal-jitter backoff). Default: from 250 ms, doubling, up to 30 s. */
  readonly backoff?: BackoffOptions
}

/** Hashes per `get` request (fewer when the server takes fewer): an answer is cut short past `maxResponseBytes` anyway. */
const GET_HASHES = 500

/**
 * One database on a Weft server, as a {@link ChangeStore}: `db.pullChangesFrom(remote)`,
 * `pushChangesTo(remote)`, `syncDatabases` and `incrementalSync` work against a server as against
 * a local store. Like every store it verifies what is appended before sending it; the server checks
 * again and adds the author's membership. Entries read from it are verified here, signature
 * included, as bytes from anywhere untrusted ({@link getChangesChecked}).
 *
 * What each method costs on the wire (n = entries on the server, d = entries that differ):
 * - `append`/`appendMany`, `has`, `getChanges`: one request per batch, bytes ∝ the entries named.
 * - `scan`, `head`, `fingerprint`, `hashesInRange`: one request.
 * - `findNewChanges(known)`: set reconciliation, bytes ∝ d · log n (never the full list).
 * - `reconcileWith(local)`: the same, both directions at once.
 * - `getAllChangeHashes`: the full list, O(n): prefer `reconcileWith` or a cursor (`scan`).
 *
 * With the `live` option, the store follows the server while it has subscribers (a `Database`
 * opened over it is one): it holds the server's live subscription open over a WebSocket from where
 * the subscriber's last full scan ended, and tells its subscribers of every entry another device
 * stores, as it lands. The entries' bytes wait (bounded) for the subscriber to read them, so
 * materialising costs no second request; they are verified like any bytes from the server. A drop
 * reconnects with backoff and resumes from the last cursor; the socket closes when the last
 * subscriber leaves or the store closes. {@link liveState} says where it stands.
 */
export class RemoteChangeStore extends BaseChangeStore {
  readonly connection: ServerConnection
  readonly db: string
  /**
   * The server drops what it holds inside its push and says so per entry: no `has` request of
   * its own before each push (a sync has asked the server already, to find what to send).
   */
  protected override readonly _dedupesOnAppend = true
  /** Pushes to the server, and what the server said of entries it did not add, for `appendMany` to report. */
  readonly #push: ServerPush

  readonly #limits: EntryLimits | undefined
  readonly #feed: RemoteFeed | undefined
  /** Entries the live feed brought, until a subscriber reads them. */
  readonly #fed = new FedEntries()
  /** Where the feed starts: the earliest end of a full scan since it last stopped. */
  #resumeFrom: Cursor | undefined

  constructor(options: RemoteChangeStoreOptions) {
    super(options)
    this.connection = options.connection
    this.db = options.db
    this.#push = new ServerPush(options.connection, options.db)
    this.#limits = options.limits
    if (options.live) {
      const webSocket = webSocketOf(options.live.webSocket)
      if (!webSocket)
        throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'no WebSocket here: pass one (the `ws` package in Node 20)')
      this.#feed = new RemoteFeed({
        connection: options.connection,
        db: options.db,
        webSocket,
        backoff: { initialMs: 250, maxMs: 30_000, ...options.live.backoff },
        receive: async (entries) => this._announce(this.#fed.add(entries)),
      })
    }
  }

  /** Where the live feed stands (`off` when the store is not live or nothing subscribes). */
  liveState(): LiveFeedState {
    return this.#feed?.peek() ?? { state: 'off' }
  }

  /** Calls `listener` with every new live feed state; returns an unsubscribe function. */
  subscribeLiveState(listener: (s: LiveFeedState) => void): () => void {
    return this.#feed?.subscribe(listener) ?? (() => {})
  }

  /** Listens to new entries: this process's appends and, when live, every other device's too. */
  override subscribe(listener: AppendListener): () => void {
    const off = super.subscribe(listener)
    if (this.#feed && !this.closed) this.#feed.start(() => this.#startCursor())
    let done = false
    return () => {
      if (done) return
      done = true
      off()
      if (this.listenerCount === 0) this.#stopFeed()
    }
  }

  #startCursor(): Promise<Cursor | null> {
    if (this.#resumeFrom) return Promise.resolve(this.#resumeFrom)
    return this._head().then((h) => ({ epoch: h.epoch, seq: h.seq }))
  }

  #stopFeed(): void {
    this.#feed?.stop()
    this.#resumeFrom = undefined
    this.#fed.clear()
  }

  /** The entries among `hashes` the server holds and whose bytes verify in full (see {@link getChangesChecked}). */
  override async getChanges(hashes: readonly ChangeHash[]): Promise<EntryEnvelope[]> {
    return (await this.getChangesChecked(hashes)).entries
  }

  /**
   * Reads entries from the server and verifies each as untrusted (hash of the exact bytes,
   * structure, signature): what fails is reported with its code, so a sync counts a tampered entry
   * as rejected rather than as not held. Pass the `vouched` of the store the entries are for, so
   * an entry that store would accept by the vouching rule is accepted here too.
   */
  async getChangesChecked(hashes: readonly ChangeHash[], options: CheckedReadOptions = {}): Promise<CheckedRead> {
    if (this.closed) throw new WeftError(ErrorCodes.CLOSED, 'store is closed')
    if (hashes.length === 0) return { entries: [], rejected: [] }
    const { served, taken } = await this.#read(hashes, options.maxBytes ?? Infinity)
    const read = await verifyServedEntries(hashes.slice(0, taken), served, this.#limits, options.vouched)
    return taken < hashes.length ? { ...read, taken } : read
  }

  /**
   * The server holds this store's entries and applies the same vouching rule to every push with
   * what it holds: an entry the batch does not authenticate by itself is sent for the server to
   * judge, and its refusal (`WEFT_BAD_SIGNATURE`) is reported per entry.
   */
  protected override async _vouched(claims: readonly VouchClaim[]): Promise<boolean[]> {
    return claims.map(() => true)
  }

  /**
   * Appends through the server. What the server did not add comes back from the base class as
   * existing; each the server refused is moved to `rejected` with the server's code.
   */
  override async appendMany(entries: Iterable<EntryEnvelope>): Promise<AppendResult> {
    const r = await super.appendMany(entries)
    return this.#push.report(r)
  }

  /** Reconciles this database with `local` (any store or hash set): what each side lacks. */
  reconcileWith(local: ReconcileSource, options: { signal?: AbortSignal } = {}): Promise<ReconcileResult> {
    return reconcile(
      local,
      async (message) => (await this.connection.db(this.db, 'reconcile', { message }, options.signal)).message,
      options,
    )
  }

  /**
   * The hashes the server holds that are not in `knownHashes`, in the server's arrival order: found
   * by set reconciliation (bytes ∝ the difference), then put in order by the server
   * ({@link inArrivalOrder}).
   */
  override async findNewChanges(knownHashes: Iterable<ChangeHash>): Promise<ChangeHash[]> {
    if (this.closed) throw new WeftError(ErrorCodes.CLOSED, 'store is closed')
    const { need } = await this.reconcileWith(new SortedHashSet(knownHashes))
    return this.inArrivalOrder(need)
  }

  /**
   * The given hashes the server holds, in its arrival order: the server walks its order a stretch
   * per request, for at most `maxHashesPerRequest` hashes at a time, and names each hash's arrival
   * number, by which the answers for more hashes are merged. (From a server that names none, each
   * run of `maxHashesPerRequest` is in order, one after another.)
   */
  override async inArrivalOrder(hashes: readonly ChangeHash[]): Promise<ChangeHash[]> {
    if (this.closed) throw new WeftError(ErrorCodes.CLOSED, 'store is closed')
    const size = this.connection.limits.maxHashesPerRequest
    for (let attempt = 0; ; attempt++) {
      const runs: Ordered[] = []
      for (const chunk of chunks(hashes, size)) runs.push(await serverOrder(this.connection, this.db, chunk))
      if (runs.length <= 1) return runs[0]?.hashes ?? []
      // Merged only when every answer numbers its hashes in one epoch; a store that started over
      // between them is asked again (once), else the runs are taken as they are.
      const epoch = runs[0]!.epoch
      if (runs.every((r) => r.seqs && r.epoch === epoch)) {
        const all = runs.flatMap((r) => r.hashes.map((hash, i) => ({ hash, seq: r.seqs![i]! })))
        return all.sort((a, b) => a.seq - b.seq).map((x) => x.hash)
      }
      if (attempt > 0 || runs.some((r) => !r.seqs)) return runs.flatMap((r) => r.hashes)
    }
  }

  /** One request: the server's page after `since` (its epoch decides whether it starts over). */
  override async scan(since: Cursor | null, options: { limit?: number } = {}): Promise<ScanPage> {
    if (this.closed) throw new WeftError(ErrorCodes.CLOSED, 'store is closed')
    const limit = Math.max(1, Math.min(options.limit ?? 1_000, this.connection.limits.maxHashesPerRequest))
    const page = await this.connection.db(this.db, 'scan', { since, limit })
    if (page.done && this.#feed && !this.#feed.running) {
      const r = this.#resumeFrom
      // The earliest, so a subscriber that scanned to here misses nothing once the feed starts.
      if (!r || r.epoch !== page.cursor.epoch || page.cursor.seq < r.seq) this.#resumeFrom = page.cursor
    }
    return page
  }

  /** Sends entries that a local store already verified, in batches; the server verifies each again. */
  relay(entries: readonly EntryEnvelope[]): Promise<AppendResult> {
    return this.#push.relay(entries)
  }

  /** The server's answer decides: only what it added is reported added (and heard by listeners). */
  protected async _appendVerified(entries: readonly VerifiedEntry[]): Promise<ChangeHash[]> {
    const r = await this.relay(entries)
    this.#push.remember(r)
    return r.added
  }

  protected async _has(hashes: readonly ChangeHash[]): Promise<boolean[]> {
    // Text that is no hash names no entry: answered here, never sent.
    const asked = hashes.filter(isChangeHash)
    const held = new Set<string>()
    for (const chunk of chunks(asked, this.connection.limits.maxHashesPerRequest)) {
      const r = await this.connection.db(this.db, 'has', { hashes: packHashes(chunk) })
      chunk.forEach((h, i) => r.held[i] && held.add(h))
    }
    return hashes.map((h) => held.has(h))
  }

  protected async _get(hashes: readonly ChangeHash[]): Promise<(Uint8Array | undefined)[]> {
    return (await this.#read(hashes, Infinity)).served
  }

  /**
   * What the server answers for `hashes`, in order, from the first, until the bytes read reach
   * `maxBytes` (one request at least): `served` answers the first `taken` hashes. Each request
   * names at most {@link GET_HASHES}, and its answer holds at most the server's `maxResponseBytes`,
   * so a read stops within one answer of `maxBytes`.
   */
  async #read(
    hashes: readonly ChangeHash[],
    maxBytes: number,
  ): Promise<{ served: (Uint8Array | undefined)[]; taken: number }> {
    const byHash = new Map<string, Uint8Array>()
    let bytes = 0
    for (const [h, b] of this.#fed.take(hashes)) {
      // verified by the caller like any bytes from the server
      byHash.set(h, b)
      bytes += b.length
    }
    const perRequest = Math.min(GET_HASHES, this.connection.limits.maxHashesPerRequest)
    let taken = 0
    while (taken < hashes.length && (taken === 0 || bytes < maxBytes)) {
      // The next hashes not answered yet, each once, and where each first appears.
      const ask: ChangeHash[] = []
      const at: number[] = []
      const asked = new Set<string>()
      let end = taken
      for (; end < hashes.length && ask.length < perRequest; end++) {
        const h = hashes[end]!
        // Text that is no hash names no entry: never sent.
        if (byHash.has(h) || asked.has(h) || !isChangeHash(h)) continue
        asked.add(h)
        ask.push(h)
        at.push(end)
      }
      if (ask.length) {
        const r = await this.connection.db(this.db, 'get', { hashes: packHashes(ask) })
        for (const e of r.entries) {
          byHash.set(e.hash, e.bytes)
          bytes += e.bytes.length
        }
        // An answer stops at the server's maxResponseBytes: `next` says how far it got.
        const next = r.next ?? ask.length
        if (!(Number.isInteger(next) && next > 0))
          throw new WeftError(ErrorCodes.PROTOCOL, 'the server answered a get with no progress')
        if (next < ask.length) end = at[next]!
      }
      taken = end
    }
    return { served: hashes.slice(0, taken).map((h) => byHash.get(h)), taken }
  }

  protected async _allHashes(): Promise<ChangeHash[]> {
    const out: ChangeHash[] = []
    for (let cursor: Cursor | null = null; ;) {
      const page = await this.scan(cursor, { limit: this.connection.limits.maxHashesPerRequest })
      if (page.reset) out.length = 0
      out.push(...page.entries.map((e) => e.hash))
      cursor = page.cursor
      if (page.done) return out
    }
  }

  protected async _hashesForDoc(docId: DocId): Promise<ChangeHash[]> {
    if (!isDocId(docId)) return [] // no document has that id
    return unpackHashes((await this.connection.db(this.db, 'doc-hashes', { docId })).hashes)
  }

  protected async _scan(afterSeq: number, limit: number): Promise<ScanItem[]> {
    const head = await this._head()
    return (await this.scan({ epoch: head.epoch, seq: afterSeq }, { limit })).entries
  }

  protected _head(): Promise<StoreHead> {
    return this.connection.db(this.db, 'head', {})
  }

  protected override _fingerprint(range: HashRange): Promise<RangeFingerprint> {
    return this.connection.db(this.db, 'fingerprint', { range })
  }

  protected async _hashesInRange(range: HashRange, limit: number): Promise<ChangeHash[]> {
    const out: ChangeHash[] = []
    let lower = range.lower
    const page = this.connection.limits.maxHashesPerRequest
    while (out.length < limit) {
      const want = Math.min(page, limit - out.length)
      const got = unpackHashes(
        (await this.connection.db(this.db, 'range', { range: { lower, upper: range.upper }, limit: want })).hashes,
      )
      out.push(...got)
      if (got.length < want) break
      lower = got[got.length - 1]! + '0' // the smallest string above the last hash
    }
    return out
  }

  protected async _close(): Promise<void> {
    this.#stopFeed()
  }
}
