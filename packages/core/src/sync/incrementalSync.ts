import { ProgressReporter, type ProgressOptions } from '../store/index.ts'
import { throwIfAborted } from '../abort.ts'
import type { AttachmentSync, DocFilter } from '../db/index.ts'
import { Database, filterFingerprint, matchesFilter } from '../db/index.ts'
import { copyEntries } from '../store/index.ts'
import type { ChangeHash, DocId, EntryKind } from '../types.ts'
import { initialSyncState, type SyncState } from './SyncState.ts'
import { afterDelivery, storeOf, targetRegressed, type SyncTarget } from './target.ts'

export interface IncrementalSyncOptions extends ProgressOptions {
  /** Source entries scanned per step. */
  readonly pageSize?: number
  readonly signal?: AbortSignal
  /**
   * Bytes of entries read and appended per batch, about (default 32 MiB), however large the
   * entries: see `CopyOptions.maxBatchBytes`.
   */
  readonly maxBatchBytes?: number
  /**
   * Into a database: `lazy` leaves attachment chunks out (the database fetches them from the source
   * when they are read), `eager` carries them. Default: the target database's own setting
   * (`DatabaseOptions.attachments`). A target that is a bare store always gets the chunks: it
   * cannot fetch them later. {@link syncFiltered} always carries a matching document's chunks.
   */
  readonly attachments?: AttachmentSync
}

/** Options of {@link syncFiltered}. */
export interface FilteredSyncOptions extends IncrementalSyncOptions {
  /**
   * A stable name and version for a function filter (`'open-orders/v2'`), recorded in the state:
   * change it whenever the function would match other documents. Without it a function is known
   * by its source text (see `filterFingerprint`); a `{ where }` filter needs none.
   */
  readonly filterId?: string
}

/**
 * Sends the target every source entry that arrived after `state.cursor` and that the target
 * lacks, then returns the new state. Into a database opened with `attachments: 'lazy'` (or with
 * the option `attachments: 'lazy'`), attachment chunks are left out and the source becomes a store
 * the database fetches them from when read. The cursor advances page by page, only after the target
 * committed the page, and over everything scanned. A cursor from another store epoch starts over,
 * and so does a state whose target has lost entries since (see {@link SyncState.target}).
 * The source may be a bare store (a relay's copy, say): unfiltered sync needs no keys.
 */
export function incrementalSync(
  source: SyncTarget,
  target: SyncTarget,
  state: SyncState = initialSyncState(),
  options: IncrementalSyncOptions = {},
): Promise<SyncState> {
  const lazy = target instanceof Database && (options.attachments ?? target.attachmentSync) === 'lazy'
  if (lazy) target.fetchAttachmentsFrom(storeOf(source))
  return runCursorSync(source, target, state, options, undefined, async (entries) =>
    entries.filter((e) => !lazy || e.kind !== 'chunk').map((e) => e.hash),
  )
}

/**
 * Like {@link incrementalSync}, but only for documents that match `filter`, evaluated on the
 * source (which holds the keys). A document that matches has its whole history sent the first
 * time; the target never receives an entry of a document that did not match. The state remembers
 * the filter's fingerprint: a state saved under another filter (or none) starts a full filtered
 * pass, so a document that matches only under the new filter is sent though it did not change.
 */
export function syncFiltered(
  source: Database,
  target: SyncTarget,
  filter: DocFilter,
  state: SyncState = initialSyncState(),
  options: FilteredSyncOptions = {},
): Promise<SyncState> {
  const sourceStore = source.getStore()
  return runCursorSync(source, target, state, options, filterFingerprint(filter, options.filterId), async (entries) => {
    const hashes: ChangeHash[] = []
    if (entries.length) await source.syncStoreChanges(entries.map((e) => e.hash)) // the filter reads current state
    const docIds = [...new Set(entries.map((e) => e.docId))]
    for (const id of docIds) {
      const doc = await source.getDocument(id)
      if (doc && matchesFilter(filter, doc)) hashes.push(...(await sourceStore.getAllChangeHashesForDoc(id)))
    }
    return hashes
  })
}

async function runCursorSync(
  source: SyncTarget,
  target: SyncTarget,
  state: SyncState,
  options: IncrementalSyncOptions,
  filter: string | undefined,
  select: (entries: { hash: ChangeHash; docId: DocId; kind: EntryKind }[]) => Promise<ChangeHash[]>,
): Promise<SyncState> {
  const sourceStore = storeOf(source)
  const targetStore = storeOf(target)
  // Another filter than the state's (or a filter now, none before, or the reverse) starts over.
  const restart = state.filter !== filter || (await targetRegressed(state.target, target))
  let cursor = restart ? null : state.cursor
  let sent = 0
  let rejected = 0
  // Progress counts source entries scanned, out of those that arrived after the cursor.
  const progress = new ProgressReporter(options)
  const sourceHead = options.onProgress ? await sourceStore.head() : undefined
  const from = cursor && cursor.epoch === sourceHead?.epoch ? cursor.seq : 0
  const totalEntries = sourceHead ? Math.max(0, sourceHead.seq - from) : undefined
  let scanned = 0
  let bytes = 0
  progress.report({ phase: 'copy', entries: 0, totalEntries: totalEntries ?? 0, bytes: 0 })
  for (;;) {
    throwIfAborted(options.signal, 'sync')
    const page = await sourceStore.scan(cursor, { limit: options.pageSize ?? 2_000 })
    const wanted = await select(page.entries)
    const held = wanted.length ? await targetStore.has(wanted) : []
    const missing = wanted.filter((_, i) => !held[i])
    const copy = await copyEntries(sourceStore, targetStore, missing, undefined, {
      maxBatchBytes: options.maxBatchBytes,
    })
    await afterDelivery(target, copy.added)
    sent += copy.added.length
    rejected += copy.rejected.length
    cursor = page.cursor
    scanned += page.entries.length
    bytes += copy.bytes
    if (!page.done) progress.report({ phase: 'copy', entries: scanned, totalEntries: totalEntries ?? scanned, bytes })
    if (page.done) break
  }
  progress.report({ phase: 'done', entries: scanned, totalEntries: Math.max(scanned, totalEntries ?? 0), bytes })
  const head = await targetStore.head()
  const next: SyncState = {
    v: 1,
    cursor,
    totalSent: state.totalSent + sent,
    lastSent: sent,
    lastRejected: rejected,
    target: { epoch: head.epoch, seq: head.seq },
  }
  return filter === undefined ? next : { ...next, filter }
}
