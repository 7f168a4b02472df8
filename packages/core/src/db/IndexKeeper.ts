import { positionCheck, type ChangeStore, type ScanItem } from '../store/index.ts'
import type { Cursor } from '../types.ts'
import type { DocDirectory } from './DocDirectory.ts'
import type { DocIndex } from './DocIndex.ts'
import type { Materialiser } from './Materialiser.ts'
import { emptyReport, mergeReports, type MaterialiseReport } from './MaterialiseReport.ts'

const SCAN_PAGE = 5_000

/** What opening found: the index was current, caught up, or rebuilt from the store. */
export type IndexOpening = 'current' | 'caught-up' | 'rebuilt'

/**
 * Keeps a database's persisted index in step with its documents. On open it reads the index and
 * checks it against the store: entries that arrived after the index's position have their
 * documents materialised again from the store; an index that is missing, unreadable, from another
 * store epoch or built under other trust is rebuilt from the store (every document materialised
 * once, a bounded number at a time). After each change it writes the summaries of the documents
 * that changed and moves the position over every entry the database has seen, in arrival order,
 * stopping at the first it has not: so a crash at any point leaves an index whose position no
 * unseen entry precedes, and the next open re-derives what came after.
 */
export class IndexKeeper {
  readonly #index: DocIndex
  readonly #store: ChangeStore
  readonly #docs: DocDirectory
  readonly #materialiser: Materialiser
  readonly #trust: () => string
  #cursor: Cursor | null = null
  /** The trust digest the documents were materialised under (set when they all were). */
  #built = ''

  constructor(
    index: DocIndex,
    store: ChangeStore,
    docs: DocDirectory,
    materialiser: Materialiser,
    trust: () => string,
  ) {
    this.#index = index
    this.#store = store
    this.#docs = docs
    this.#materialiser = materialiser
    this.#trust = trust
  }

  /** Loads the index, or rebuilds it, and catches up with the store. */
  async open(): Promise<IndexOpening> {
    const stored = await this.#index.load()
    const trust = this.#trust()
    if (!stored || stored.trust !== trust) return this.#rebuilt()
    for (const s of stored.docs) {
      this.#docs.set(s)
      for (const [hash, code] of s.pending) this.#materialiser.restoreHeld({ hash, docId: s.id, code: code as never })
    }
    this.#cursor = stored.cursor
    this.#built = trust
    const after: ScanItem[] = []
    for (let cursor = stored.cursor; ;) {
      const page = await this.#store.scan(cursor, { limit: SCAN_PAGE })
      if (page.reset && stored.cursor) return this.#rebuilt()
      after.push(...page.entries)
      cursor = page.cursor
      if (page.done) break
    }
    if (after.length === 0) return 'current'
    // Documents named after the position are materialised again from every entry they have.
    await this.#materialiser.ingestItems(after)
    await this.flush()
    return 'caught-up'
  }

  /** Forgets every document and materialises them all again from the store; writes a new base. */
  async rebuild(): Promise<MaterialiseReport> {
    this.#materialiser.reset()
    this.#cursor = null
    this.#built = this.#trust()
    let report = emptyReport()
    for (let cursor: Cursor | null = null; ;) {
      const page = await this.#store.scan(cursor, { limit: SCAN_PAGE * 4 })
      report = mergeReports(report, await this.#materialiser.ingestItems(page.entries))
      cursor = page.cursor
      if (page.done) break
    }
    await this.flush(true)
    return report
  }

  async #rebuilt(): Promise<'rebuilt'> {
    await this.rebuild()
    return 'rebuilt'
  }

  /** Persists the summaries of documents that changed and moves the position over what was seen. */
  async flush(base = false): Promise<void> {
    const before = this.#cursor
    this.#cursor = await this.#advance()
    const changed = [...this.#materialiser.touched].flatMap((id) => this.#docs.get(id) ?? [])
    this.#materialiser.touched.clear()
    if (!base && changed.length === 0 && sameCursor(before, this.#cursor)) return
    await this.#index.write({ cursor: this.#cursor, trust: this.#built }, changed, () => [...this.#docs.values()], base)
  }

  /** True when every entry up to arrival number `seq` is reflected in the documents. */
  covers(seq: number): boolean {
    return this.#cursor !== null && seq <= this.#cursor.seq
  }

  /** The position after every entry seen, in arrival order, up to the first one not seen. */
  async #advance(): Promise<Cursor | null> {
    const seen = this.#materialiser.seen
    let cursor = this.#cursor
    if (seen.size === 0) return cursor
    for (;;) {
      const page = await this.#store.scan(cursor, { limit: SCAN_PAGE })
      if (page.reset) return this.#cursor
      for (const e of page.entries) {
        if (!seen.delete(e.hash)) return cursor
        cursor = { epoch: page.cursor.epoch, seq: e.seq, at: positionCheck(e.hash) }
      }
      cursor = page.cursor
      if (page.done) {
        seen.clear() // what is left was seen before the position
        return cursor
      }
    }
  }
}

function sameCursor(a: Cursor | null, b: Cursor | null): boolean {
  return a === b || (a !== null && b !== null && a.epoch === b.epoch && a.seq === b.seq)
}
