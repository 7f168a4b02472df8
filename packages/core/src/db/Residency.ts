import type { WeftError } from '../errors.ts'
import { ErrorCodes, toWeftError } from '../errors.ts'
import type { Mutex } from '../store/index.ts'
import type { DocId } from '../types.ts'
import type { DatabaseSettings } from './DatabaseSettings.ts'
import type { DocDirectory } from './DocDirectory.ts'
import type { DocState } from './DocState.ts'
import type { IndexKeeper } from './IndexKeeper.ts'
import type { Materialiser } from './Materialiser.ts'

/** Documents read from the index per page by listings. */
const LIST_PAGE = 1_000

/**
 * Entries seen, or documents changed, since the index was last written, at which a change writes
 * it again. Between two writes a crash loses no data (the store holds every entry): the next open
 * materialises again the documents of the entries after the index's position, at most this many
 * and those of the write under way.
 */
const INDEX_WRITE_EVERY = 256

/** What a database lends its residency: its lock, its documents and how to report a failed index write. */
export interface ResidencyParts {
  readonly lock: Mutex
  readonly docs: DocDirectory
  readonly materialiser: Materialiser
  readonly keeper: IndexKeeper
  readonly settings: DatabaseSettings
  readonly closed: () => boolean
  readonly onError: (error: WeftError) => void
}

/**
 * Which of a database's documents are in memory: it materialises those known only by their
 * summaries when they are used (under the database's lock), reads ahead for scans, and keeps the
 * cache within its bound after every change, persisting the index as it goes.
 */
export class Residency {
  readonly #p: ResidencyParts

  constructor(parts: ResidencyParts) {
    this.#p = parts
  }

  /**
   * The document's state, materialised (under the lock) if it is known only by its summary. With
   * `handOut`, it is marked handed out before the cache is trimmed: a document larger than the
   * byte bound is then detached for the caller's handle, not freed under it.
   */
  async materialised(id: DocId, handOut = false): Promise<DocState | undefined> {
    const { docs, lock, closed } = this.#p
    const now = docs.get(id)
    if (now?.loaded) {
      docs.touch(now)
      return now
    }
    if (closed()) return undefined
    return lock.run(async () => {
      if (closed()) return undefined
      const state = await this.ensureLoaded(id)
      if (handOut && state?.am) state.handedOut = true
      await this.settle()
      return state
    })
  }

  /**
   * Materialises together those of `ids` known only by their summaries, as many as half the cache
   * holds (so none is evicted before it is read): a scan then reads the storage once per page of
   * documents, not once per document. Under a byte bound the documents' sizes are not known before
   * they load, so each is read alone.
   */
  async prefetch(ids: readonly DocId[]): Promise<void> {
    const { docs, lock, closed, settings } = this.#p
    const room = Math.min(ids.length, Math.floor(settings.cacheSize / 2))
    if (room < 2 || settings.cacheBytes !== Infinity || closed()) return
    const page = ids.slice(0, room)
    // Documents in memory need no lock: a query over them must not wait for a write in progress.
    if (page.every((id) => docs.get(id)?.loaded === true)) return
    await lock.run(async () => {
      if (closed()) return
      await docs.fetch(page)
      const cold = page.filter((id) => docs.get(id)?.loaded === false)
      if (cold.length < 2) return
      await this.#p.materialiser.load(cold)
      await this.settle()
    })
  }

  /** Loads a document known only by its summary; the caller holds the lock. */
  async ensureLoaded(id: DocId): Promise<DocState | undefined> {
    const { docs } = this.#p
    await docs.fetch([id])
    if (docs.get(id)?.loaded === false) await this.#p.materialiser.load([id])
    const state = docs.get(id) // the loaded state replaces the summary
    if (state) docs.touch(state)
    return state
  }

  /** The state of a document in memory, else its summary read from the index (under the lock). */
  async stateOrSummary(id: DocId): Promise<DocState | undefined> {
    const { docs, lock, closed } = this.#p
    const now = docs.get(id)
    if (now || closed()) return now
    return lock.run(async () => {
      await docs.fetch([id])
      const s = docs.get(id)
      return s?.stale ? this.ensureLoaded(id) : s
    })
  }

  /** Every document's state or summary, a page at a time; one whose summary does not read is materialised. */
  async *everyDocument(): AsyncGenerator<DocState> {
    for await (const page of this.#p.docs.pages(LIST_PAGE))
      for (const s of page) {
        const live = s.stale ? await this.materialised(s.id) : s
        if (live) yield live
      }
  }

  /** Evicts documents over the cache bound. */
  trim(): void {
    const { docs, materialiser, settings } = this.#p
    const bound = { documents: settings.cacheSize, bytes: settings.cacheBytes }
    const touched = materialiser.touched
    if (docs.trim(bound, (id) => touched.has(id))) materialiser.pruneApplied()
  }

  /**
   * After a change: keeps the cache within its bound, and persists the index once
   * {@link INDEX_WRITE_EVERY} entries or documents changed since it was last written (closing the
   * database writes the rest). Until then the changed summaries stay in memory, never evicted.
   */
  async settle(): Promise<void> {
    const { materialiser, keeper } = this.#p
    if (materialiser.seen.size < INDEX_WRITE_EVERY && materialiser.touched.size < INDEX_WRITE_EVERY) {
      this.trim()
      return
    }
    try {
      await keeper.flush()
    } catch (error) {
      // The index is a cache: a write that failed is re-derived from the store on the next open.
      this.#p.onError(toWeftError(error, ErrorCodes.STORAGE_ERROR))
    }
    this.trim()
  }
}
