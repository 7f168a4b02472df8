import { randomBytes } from 'node:crypto'
import {
  BaseChangeStore,
  ErrorCodes,
  nodesOf,
  WeftError,
  type CappedEntries,
  type ChangeHash,
  type DocId,
  type EntryKind,
  type HashRange,
  type RangeFingerprint,
  type ScanItem,
  type StoreHead,
  type StoreOptions,
  type VerifiedEntry,
} from '@weft/core/backend'
import { escapeLiteral, type QueryResult, type QueryResultRow } from 'pg'
import { fingerprintsFromIndex, indexAfter, type StoreKey } from './postgresPrefixIndex.ts'
import type { TenantScope } from './TenantScope.ts'

const KINDS: ReadonlySet<string> = new Set<EntryKind>(['create', 'change', 'delete', 'snapshot', 'chunk'])

/** A row of a scan of `weft_entries`. */
interface ScanRow {
  readonly hash: ChangeHash
  readonly seq: string
  readonly doc_id: DocId
  readonly kind: string
}

/** The statement that reads a store's newest arrival number, its condition given. */
function headSql(where: string): string {
  return `SELECT seq FROM weft_stores WHERE ${where}`
}

/**
 * A change store in PostgreSQL. Appends are verified by {@link BaseChangeStore} (size, content
 * hash, structure, signature); each batch is then one transaction that takes the store's counter
 * row `FOR UPDATE`, skips entries already stored (by another process, say), writes the rest with
 * the next arrival numbers, updates the range-fingerprint index and the counter. Writers in any
 * number of processes therefore hand out arrival numbers 1, 2, 3… with no gap and no repeat, and
 * a number is visible only once its entry is committed. Every query runs in the tenant's scope
 * (role, schema, `app.tenant_id`), see {@link TenantScope}.
 */
export class PostgresChangeStore extends BaseChangeStore {
  protected override readonly _dedupesOnAppend = true
  readonly #scope: TenantScope
  readonly #key: StoreKey
  readonly #epoch: string
  /** The arrival number of the last entry this instance's last append added. */
  #lastSeq: number | undefined
  readonly #onClose: () => void
  /** The condition that picks this store's rows, its values quoted in (for {@link #readOnce}). */
  readonly #where: string
  /** The same, of rows of `weft_entries` named `e`. */
  readonly #whereEntry: string

  private constructor(scope: TenantScope, name: string, epoch: string, options: StoreOptions, onClose: () => void) {
    super(options)
    this.#scope = scope
    this.#key = { tenant: scope.tenant, store: name }
    this.#epoch = epoch
    this.#onClose = onClose
    this.#where = `tenant_id = ${escapeLiteral(scope.tenant)} AND store = ${escapeLiteral(name)}`
    this.#whereEntry = `e.tenant_id = ${escapeLiteral(scope.tenant)} AND e.store = ${escapeLiteral(name)}`
  }

  /**
   * Opens the store `name` in `scope`, creating its counter row when it is new, with a fresh random
   * epoch or the one given (a store moved here from elsewhere keeps its epoch, so its readers'
   * cursors stay valid). `onClose` runs once the store is closed.
   */
  static async open(
    scope: TenantScope,
    name: string,
    options: StoreOptions & { readonly epoch?: string } = {},
    onClose: () => void = () => {},
  ): Promise<PostgresChangeStore> {
    if (options.epoch !== undefined && !/^[\x21-\x7e]{1,128}$/.test(options.epoch))
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'an epoch is 1 to 128 printable ASCII characters')
    const epoch = await scope.transaction(`opening change store ${name}`, async (c) => {
      await c.query(
        `INSERT INTO weft_stores (tenant_id, store, epoch, seq) VALUES ($1, $2, $3, 0)
         ON CONFLICT (tenant_id, store) DO NOTHING`,
        [scope.tenant, name, options.epoch ?? randomBytes(8).toString('hex')],
      )
      const { rows } = await c.query<{ epoch: string }>(
        'SELECT epoch FROM weft_stores WHERE tenant_id = $1 AND store = $2',
        [scope.tenant, name],
      )
      if (!rows[0]) throw new WeftError(ErrorCodes.STORAGE_ERROR, `change store ${name} has no counter row`)
      return rows[0].epoch
    })
    return new PostgresChangeStore(scope, name, epoch, options, onClose)
  }

  /** The name this store was opened under. */
  get name(): string {
    return this.#key.store
  }

  protected async _appendVerified(entries: readonly VerifiedEntry[]): Promise<ChangeHash[]> {
    const { tenant, store } = this.#key
    const hashes = entries.map((e) => e.hash)
    const prefixes = [...new Set(hashes.flatMap((h) => nodesOf(h)))]
    // Two round trips: the transaction's opening with every read it needs (the counter row, taken
    // FOR UPDATE first, then which entries are held and the index nodes they all count in), then one
    // statement for every write with the commit (values quoted in).
    const reads = [
      `SELECT seq FROM weft_stores WHERE ${this.#where} FOR UPDATE`,
      `SELECT hash FROM weft_entries WHERE ${this.#where} AND hash = ANY(${textArray(hashes)})`,
      `SELECT prefix, node FROM weft_sums WHERE ${this.#where} AND prefix = ANY(${textArray(prefixes)})`,
    ].join('; ')
    const appended = await this.#scope.transactionWith(
      `appending ${entries.length} entries to ${store}`,
      reads,
      async (results, commitWith) => {
        const [counter, held, sums] = results as [
          QueryResult<{ seq: string }>,
          QueryResult<{ hash: string }>,
          QueryResult<{ prefix: string; node: string }>,
        ]
        if (!counter.rows[0]) throw new WeftError(ErrorCodes.STORAGE_ERROR, `change store ${store} has no counter row`)
        const heldSet = new Set(held.rows.map((r) => r.hash))
        const fresh = entries.filter((e) => !heldSet.has(e.hash))
        if (fresh.length === 0) return { added: [], last: 0 }
        const first = Number(counter.rows[0].seq) + 1
        const last = first + fresh.length - 1
        const nodes = indexAfter(
          sums.rows,
          fresh.map((e) => e.hash),
        )
        // Each column as one comma-separated literal (hex, digits, the kind names): one constant
        // for PostgreSQL to parse however many entries, where an ARRAY of quoted elements took
        // several times as long as the write for a thousand.
        const [t, st] = [escapeLiteral(tenant), escapeLiteral(store)]
        const column = (values: readonly string[]) => `string_to_array(${plainList(values)}, ',')`
        const bytes = fresh.map((e) =>
          Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength).toString('hex'),
        )
        commitWith(
          `WITH entries AS (
             INSERT INTO weft_entries (tenant_id, store, hash, seq, doc_id, kind, bytes)
             SELECT ${t}, ${st}, h, ${wholeNumber(first - 1)} + i, d, k, decode(b, 'hex')
             FROM unnest(${column(fresh.map((e) => e.hash))}, ${column(fresh.map((e) => e.docId))},
                         ${column(fresh.map((e) => e.kind))}, ${column(bytes)}) WITH ORDINALITY AS u(h, d, k, b, i)
           ), sums AS (
             INSERT INTO weft_sums (tenant_id, store, prefix, node)
             SELECT ${t}, ${st}, p, n FROM unnest(${column(nodes.map(([p]) => p))}, ${column(nodes.map(([, n]) => n))}) AS u(p, n)
             ON CONFLICT (tenant_id, store, prefix) DO UPDATE SET node = EXCLUDED.node
           )
           UPDATE weft_stores SET seq = ${wholeNumber(last)} WHERE ${this.#where}`,
        )
        return { added: fresh.map((e) => e.hash), last }
      },
    )
    // Committed: the arrival number this append wrote is the store's (until the next append).
    if (appended.added.length) this.#lastSeq = appended.last
    return appended.added
  }

  protected override _lastArrival(): { epoch: string; seq: number } | undefined {
    return this.#lastSeq === undefined ? undefined : { epoch: this.#epoch, seq: this.#lastSeq }
  }

  protected async _has(hashes: readonly ChangeHash[]): Promise<boolean[]> {
    const rows = await this.#readOnce<{ hash: string }>(
      `SELECT hash FROM weft_entries WHERE ${this.#where} AND hash = ANY(${textArray(hashes)})`,
    )
    const held = new Set(rows.map((r) => r.hash))
    return hashes.map((h) => held.has(h))
  }

  protected async _get(hashes: readonly ChangeHash[]): Promise<(Uint8Array | undefined)[]> {
    const rows = await this.#readOnce<{ hash: string; bytes: Buffer }>(
      `SELECT hash, bytes FROM weft_entries WHERE ${this.#where} AND hash = ANY(${textArray(hashes)})`,
    )
    const byHash = new Map(rows.map((r) => [r.hash, r.bytes]))
    // pg hands out Buffers; give callers plain Uint8Arrays.
    return hashes.map((h) => {
      const b = byHash.get(h)
      return b && new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
    })
  }

  /**
   * The held entries among a first part of `hashes`, up to `maxBytes` (see
   * `ChangeStore.getChangesUpTo`), in one statement: PostgreSQL adds up the entries' sizes (read
   * from their headers, without reading the bytes) and sends the bytes of those within the cap
   * only, with the hash of the first one past it, which says where the read stopped.
   */
  getChangesUpTo(hashes: readonly ChangeHash[], maxBytes: number): Promise<CappedEntries> {
    return this._readUpTo(hashes, async () => {
      const cap = wholeNumber(Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, Math.floor(maxBytes))))
      // `before`: the bytes of the held entries asked before this one; `n`: its place among them.
      // The first goes whatever its size. Rows go until the first past the cap, which goes without
      // its bytes: it says where the read stopped.
      const rows = await this.#readOnce<{ ord: string; bytes: Buffer | null }>(
        `SELECT ord, CASE WHEN n = 1 OR before + len <= ${cap} THEN bytes END AS bytes FROM (
           SELECT a.ord, e.bytes, octet_length(e.bytes) AS len, row_number() OVER w AS n,
                  coalesce(sum(octet_length(e.bytes)) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
           FROM unnest(${textArray(hashes)}) WITH ORDINALITY AS a(hash, ord)
           JOIN weft_entries e ON ${this.#whereEntry} AND e.hash = a.hash
           WINDOW w AS (ORDER BY a.ord)
         ) s WHERE n <= 2 OR before <= ${cap} ORDER BY ord`,
      )
      const bytes: (Uint8Array | undefined)[] = new Array(hashes.length).fill(undefined)
      let taken = hashes.length
      for (const r of rows) {
        const at = Number(r.ord) - 1
        if (r.bytes === null) {
          taken = at
          break
        }
        bytes[at] = new Uint8Array(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength)
      }
      return { bytes: bytes.slice(0, taken), taken }
    })
  }

  protected async _allHashes(): Promise<ChangeHash[]> {
    const rows = await this.#readOnce<{ hash: ChangeHash }>(
      `SELECT hash FROM weft_entries WHERE ${this.#where} ORDER BY seq`,
    )
    return rows.map((r) => r.hash)
  }

  protected async _hashesForDoc(docId: DocId): Promise<ChangeHash[]> {
    const rows = await this.#readOnce<{ hash: ChangeHash }>(
      `SELECT hash FROM weft_entries WHERE ${this.#where} AND doc_id = ${escapeLiteral(docId)} ORDER BY seq`,
    )
    return rows.map((r) => r.hash)
  }

  protected async _scan(afterSeq: number, limit: number): Promise<ScanItem[]> {
    return this.#scanItems(await this.#readOnce<ScanRow>(this.#scanSql(afterSeq, limit)))
  }

  /** A page's head, position check and entries, in one round trip (see `BaseChangeStore._scanFrom`). */
  protected override async _scanFrom(
    after: number,
    limit: number,
  ): Promise<{ head: StoreHead; at: ScanItem[]; after: ScanItem[] }> {
    const check = after > 0 ? [this.#scanSql(after - 1, 1)] : []
    const [head, ...scans] = await this.#scope.readEach<[{ seq: string }, ...ScanRow[]]>(`reading ${this.name}`, [
      headSql(this.#where),
      ...check,
      this.#scanSql(after, limit),
    ])
    return {
      head: this.#headOf(head),
      at: check.length ? this.#scanItems(scans[0]!) : [],
      after: this.#scanItems(scans.at(-1)!),
    }
  }

  #scanSql(afterSeq: number, limit: number): string {
    const after = wholeNumber(Math.max(0, Math.floor(afterSeq)))
    return `SELECT hash, seq, doc_id, kind FROM weft_entries
       WHERE ${this.#where} AND seq > ${after} ORDER BY seq LIMIT ${limitOf(limit)}`
  }

  #scanItems(rows: readonly ScanRow[]): ScanItem[] {
    return rows.map((r) => {
      if (!KINDS.has(r.kind))
        throw new WeftError(ErrorCodes.STORAGE_ERROR, `change store ${this.name} holds a malformed row`)
      return { hash: r.hash, seq: Number(r.seq), docId: r.doc_id, kind: r.kind as EntryKind }
    })
  }

  protected async _head(): Promise<StoreHead> {
    return this.#headOf(await this.#readOnce<{ seq: string }>(headSql(this.#where)))
  }

  #headOf(rows: readonly { seq: string }[]): StoreHead {
    // Arrival numbers are gap-free: the count is the newest one.
    const seq = Number(rows[0]?.seq ?? 0)
    return { epoch: this.#epoch, seq, count: seq }
  }

  protected async _hashesInRange(range: HashRange, limit: number): Promise<ChangeHash[]> {
    if (limit <= 0 || (range.upper !== null && range.upper <= range.lower)) return []
    const below = range.upper === null ? '' : ` AND hash < ${escapeLiteral(range.upper)}`
    const rows = await this.#readOnce<{ hash: ChangeHash }>(
      `SELECT hash FROM weft_entries WHERE ${this.#where} AND hash >= ${escapeLiteral(range.lower)}${below}
       ORDER BY hash LIMIT ${limitOf(limit)}`,
    )
    return rows.map((r) => r.hash)
  }

  protected override async _fingerprint(range: HashRange): Promise<RangeFingerprint> {
    return (await this._fingerprints([range]))[0]!
  }

  protected override _fingerprints(ranges: readonly HashRange[]): Promise<RangeFingerprint[]> {
    return fingerprintsFromIndex(this.#scope, this.#key, ranges)
  }

  protected async _close(): Promise<void> {
    // The pool belongs to the factory: nothing to release here.
    this.#onClose()
  }

  /** One statement of the store's rows (its values quoted in), with its transaction, in one round trip. */
  #readOnce<R extends QueryResultRow>(sql: string): Promise<R[]> {
    return this.#scope.readOnce<R>(`reading ${this.name}`, sql)
  }
}

/** `values` as a quoted `text[]` literal. */
function textArray(values: readonly string[]): string {
  return `ARRAY[${values.map(escapeLiteral).join(', ')}]::text[]`
}

/**
 * Values the store made itself (hashes, ids and bytes in hex, index nodes, kind names) as one
 * quoted literal, comma-separated; anything else is refused rather than quoted.
 */
function plainList(values: readonly string[]): string {
  const joined = values.join(',')
  if (!/^[0-9a-z:,]*$/.test(joined))
    throw new WeftError(ErrorCodes.STORAGE_ERROR, 'a value to write is not lowercase hex, digits or a name')
  return `'${joined}'`
}

/** A whole number, checked before it is written into a statement. */
function wholeNumber(n: number): string {
  if (!Number.isSafeInteger(n)) throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `not a whole number: ${n}`)
  return String(n)
}

/** A row limit: `ALL` when unbounded. */
function limitOf(limit: number): string {
  return Number.isFinite(limit) ? wholeNumber(Math.max(0, Math.floor(limit))) : 'ALL'
}
