import * as A from '@automerge/automerge'
import { concatBytes } from '../codec/index.ts'
import type { ChangeHash, DocId, KeyId, Origin } from '../types.ts'
import type { ChangeHeader } from './changeHeader.ts'

/** Plain data of a document: an Automerge root map. */
export type DocData = Record<string, any>

/**
 * Everything a database knows about one document: metadata from its entries' headers, the entry
 * DAG heads, and the materialised Automerge document once any entry could be read.
 */
export class DocState {
  readonly id: DocId
  origin: Origin | undefined
  /** The key id its entries name (for display; a writer's local name for the key). */
  keyId: KeyId | undefined
  /** Our local name of the key that opens this document: new entries are written under it. */
  writeKey: KeyId | undefined
  am: A.Doc<DocData> | null = null
  /**
   * Automerge changes of applied entries whose Automerge dependencies `am` lacks yet: held here, not
   * in Automerge's own queue, so that they reach it in a call of their own (see `planApply`).
   */
  waiting: ChangeHeader[] = []
  deleted = false
  /** Entries applied to `am` (or covered by the snapshot it was loaded from). */
  readonly #applied = new Set<ChangeHash>()
  /** Entries named as a dep by some applied entry. */
  readonly #referenced = new Set<ChangeHash>()
  /**
   * Referenced entries not applied, kept as entries are applied and referenced: the gaps then cost
   * what they hold, not the document's whole history (read at every write, in its summary).
   */
  readonly #unapplied = new Set<ChangeHash>()
  /** Applied entries nothing applied follows yet; the deps of the next local entry. */
  heads = new Set<ChangeHash>()
  changesSinceSnapshot = 0
  /** Entries of this document held back, by reason code. */
  readonly pending = new Map<ChangeHash, string>()
  /**
   * False while only the persisted index's summary of the document is in memory (it was never
   * materialised in this process, or was evicted): `am`, `applied` and `referenced` are then empty,
   * and `heads`, `pending`, {@link DocState.readable} and the gaps come from the summary.
   */
  loaded: boolean
  /** The newest snapshot this document was loaded from or wrote: tried first on the next load. */
  snapshot: ChangeHash | undefined
  /** Readable when last materialised (for a document not loaded). */
  #summaryReadable = false
  /** Gaps when last materialised (for a document not loaded). */
  #summaryMissing: ChangeHash[] = []
  /** Its stored summary did not read: nothing is known of it until it is materialised from the store. */
  stale = false
  /**
   * Estimated bytes of the materialised document: the sizes of the Automerge changes applied to
   * it, or of the save it was loaded from plus the changes applied since. Zero when not loaded.
   */
  bytes = 0
  /** Some state's `successor` is this one (a handle's chain of states leads here). */
  hasPredecessor = false
  /** True once a handle on this state was given to a caller: evicting it then detaches it (see {@link DocState.detach}). */
  handedOut = false
  /** Detached: `am` is only the JavaScript view of a freed Automerge document, for handles to read. */
  #viewOnly = false
  /** Set when evicted while handed out: the state the database went on with (see {@link DocState.current}). */
  successor: DocState | undefined

  constructor(id: DocId, loaded = true) {
    this.id = id
    this.loaded = loaded
  }

  /** Entries applied to `am` (or covered by the snapshot it was loaded from). */
  get applied(): ReadonlySet<ChangeHash> {
    return this.#applied
  }

  /** Entries named as a dep by some applied entry. */
  get referenced(): ReadonlySet<ChangeHash> {
    return this.#referenced
  }

  /** Records an entry as applied to `am` (or covered by its snapshot), without touching the DAG's heads. */
  markApplied(hash: ChangeHash): void {
    this.#applied.add(hash)
    this.#unapplied.delete(hash)
  }

  #reference(hash: ChangeHash): void {
    if (this.#referenced.has(hash)) return
    this.#referenced.add(hash)
    if (!this.#applied.has(hash)) this.#unapplied.add(hash)
  }

  /** Whether the document can be read (materialised, or was when last materialised). */
  get readable(): boolean {
    return this.loaded ? this.am !== null : this.#summaryReadable
  }

  /** Sets the summary of a document that is not loaded (from the persisted index). */
  setSummary(readable: boolean, missing: readonly ChangeHash[]): void {
    this.#summaryReadable = readable
    this.#summaryMissing = [...missing]
  }

  /**
   * The newest state a handle on this one should show: following the states the database went on
   * with after evictions, the last one that is materialised, else the newest that still holds its
   * document view (a detached state keeps the view of its freed Automerge document for its handles).
   */
  current(): DocState {
    let best: DocState | undefined
    for (let s = this.successor; s; s = s.successor) if (s.am) best = s
    return best ?? this
  }

  /** The state the database goes on with now (itself unless it was detached). */
  newest(): DocState {
    let last: DocState | undefined
    for (let s = this.successor; s; s = s.successor) last = s
    return last ?? this
  }

  /**
   * Evicts a state handles were given out on: a new state, holding the same summary and no
   * Automerge document, takes its place in the database. This one frees its Automerge document's
   * WebAssembly memory now and keeps only the document's JavaScript view (plain, already
   * materialised objects) for the handles to read, which the garbage collector reclaims with them.
   */
  detach(): DocState {
    const next = new DocState(this.id, false)
    next.origin = this.origin
    next.keyId = this.keyId
    next.writeKey = this.writeKey
    next.deleted = this.deleted
    next.heads = new Set(this.heads)
    for (const [h, c] of this.pending) next.pending.set(h, c)
    next.snapshot = this.snapshot
    next.setSummary(this.am !== null, this.missing())
    next.hasPredecessor = true
    this.successor = next
    if (this.am && !this.#viewOnly) A.free(this.am)
    this.#viewOnly = true
    this.waiting = []
    return next
  }

  /**
   * Frees the Automerge document and forgets what a load rebuilds (applied and followed entries),
   * keeping the summary: heads, held entries, gaps, readability. A later use loads it again.
   */
  unload(): void {
    this.#summaryReadable = this.am !== null
    this.#summaryMissing = this.missing()
    this.free()
    this.#applied.clear()
    this.#referenced.clear()
    this.#unapplied.clear()
    this.changesSinceSnapshot = 0
    this.bytes = 0
    this.loaded = false
  }

  /** True when `other` would be stored as the same summary (what the persisted index keeps of a document). */
  sameSummary(other: DocState): boolean {
    const sameSet = (a: Iterable<string>, b: Iterable<string>) => {
      const x = new Set(a)
      const y = [...b]
      return x.size === y.length && y.every((v) => x.has(v))
    }
    return (
      this.origin?.tenant === other.origin?.tenant &&
      this.origin?.db === other.origin?.db &&
      this.keyId === other.keyId &&
      this.writeKey === other.writeKey &&
      this.deleted === other.deleted &&
      this.readable === other.readable &&
      this.snapshot === other.snapshot &&
      sameSet(this.heads, other.heads) &&
      sameSet(this.missing(), other.missing()) &&
      this.pending.size === other.pending.size &&
      [...this.pending].every(([h, code]) => other.pending.get(h) === code)
    )
  }

  /** Records an applied entry in the DAG. Order-independent: a late parent never becomes a head. */
  noteApplied(hash: ChangeHash, deps: readonly ChangeHash[]): void {
    this.markApplied(hash)
    this.pending.delete(hash)
    for (const d of deps) {
      this.#reference(d)
      this.heads.delete(d)
    }
    if (!this.#referenced.has(hash)) this.heads.add(hash)
  }

  /** Marks everything a snapshot covers as applied; its deps were the heads when it was written. */
  noteSnapshot(covers: readonly ChangeHash[], heads: readonly ChangeHash[], refs: readonly ChangeHash[] = []): void {
    const held = this.pending.size > 0
    for (const h of covers) {
      this.markApplied(h)
      if (held) this.pending.delete(h)
    }
    for (const h of refs) this.#reference(h)
    this.heads = new Set(heads.filter((h) => !this.#referenced.has(h)))
  }

  /** Entries that applied entries follow but that are not applied: what a snapshot must remember. */
  unappliedRefs(): ChangeHash[] {
    return [...this.#unapplied]
  }

  /** Entries some applied entry follows but that this database does not hold or hold back: gaps. */
  missing(): ChangeHash[] {
    if (!this.loaded) return [...this.#summaryMissing]
    return [...this.#unapplied].filter((h) => !this.pending.has(h))
  }

  /**
   * The document's `Automerge.save`, followed by the changes it holds back, as Automerge itself saves
   * the changes it queues: a snapshot keeps them (`splitSave` parts them again).
   */
  save(): Uint8Array {
    const save = A.save(this.am!)
    return this.waiting.length ? concatBytes(save, ...this.waiting.map((w) => w.bytes)) : save
  }

  /** Releases the Automerge document's WebAssembly memory. */
  free(): void {
    if (this.am && !this.#viewOnly) A.free(this.am)
    this.am = null
    this.waiting = []
  }
}
