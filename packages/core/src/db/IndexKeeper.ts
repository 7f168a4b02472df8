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
 * Keeps a database's persisted index in step with its documents. On open it reads the index's
 * header only (no summary) and checks it against the store: entries that arrived after its
 * position have their documents materialised again from the store; an index whose header is
 * missing, unreadable, from another store epoch or built under other trust is rebuilt from the
 * store (every document materialised once, a bounded number at a time). After each change it
 * writes the summaries of the documents that changed, then the header, moving the position over
 * every entry the database has seen, in arrival order, stopping at the first it has not: so a
 * crash at any point leaves an index whose position no unseen entry precedes, and the next open
 * re-derives what came after.
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
  #caughtUp = 0

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

  /**
   * Entries the last open (or rebuild) read from the store and materialised again: none when the
   * index was current, those after its position when it caught up, every entry when it was rebuilt.
   */
  get caughtUp(): number {
    return this.#caughtUp
  }

  /** Reads the index header, or rebuilds the index, and catches up with the store. */
  async open(): Promise<IndexOpening> {
    const header = await this.#index.loadHeader()
    const trust = this.#trust()
    if (!header || header.trust !== trust) return this.#rebuilt()
    this.#docs.restore(header)
    for (const held of header.held) this.#materialiser.restoreHeld(held)
    this.#cursor = header.cursor
    this.#built = trust
    const after: ScanItem[] = []
    for (let cursor = header.cursor; ;) {
      const page = await this.#store.scan(cursor, { limit: SCAN_PAGE })
      if (page.reset && header.cursor) return this.#rebuilt()
      after.push(...page.entries)
      cursor = page.cursor
      if (page.done) break
    }
    this.#caughtUp = after.length
    if (after.length === 0) return 'current'
    // Documents named after the position are materialised again from every entry they have.
    await this.#materialiser.ingestItems(after)
    await this.flush()
    return 'caught-up'
  }

  /**
   * Forgets every document, erases the stored index and materialises the store again from the
   * start, page by page in arrival order, storing the summaries and moving the position after
   * each page (so a rebuild cut short resumes from where it got to).
   */
  async rebuild(): Promise<MaterialiseReport> {
    this.#materialiser.reset()
    await this.#index.erase()
    this.#cursor = null
    this.#built = this.#trust()
    this.#caughtUp = 0
    let report = emptyReport()
    for (let cursor: Cursor | null = null; ;) {
      const page = await this.#store.scan(cursor, { limit: SCAN_PAGE * 4 })
      this.#caughtUp += page.entries.length
      report = mergeReports(report, await this.#materialiser.ingestItems(page.entries))
      await this.flush(page.done)
      cursor = page.cursor
      if (page.done) break
    }
    return report
  }

  async #rebuilt(): Promise<'rebuilt'> {
    await this.rebuild()
    return 'rebuilt'
  }

  /**
   * Stores the summaries of documents that changed, then the header with the position moved over
   * what was seen (`force`: the header even when nothing changed).
   */
  async flush(force = false): Promise<void> {
    const before = this.#cursor
    this.#cursor = await this.#advance()
    const touched = this.#materialiser.touched
    const changed = [...touched].flatMap((id) => this.#docs.get(id) ?? [])
    if (!force && changed.length === 0 && sameCursor(before, this.#cursor)) return
    // Until stored, the changed summaries stay dirty: held in memory, never read back older.
    await this.#index.writeSummaries(changed)
    touched.clear()
    this.#docs.noteStored(changed)
    await this.#index.writeHeader({
      cursor: this.#cursor,
      trust: this.#built,
      documents: this.#docs.storedCount,
      held: this.#materialiser.heldEntries(),
      gaps: this.#docs.storedGaps,
    })
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
