import type { DocId } from '../../types.ts'
import type { IndexStateRow, SortedIndex } from './SortedIndex.ts'
import type { IndexOpened, QuerySource } from './types.ts'

/** Documents that moved, announced to the source at a time before they are read again. */
const READ_AHEAD = 64

/**
 * Loads a stored index state into `index`, trusting a row only while its document is at the
 * version the row was keyed at (read from the database's summaries, so nothing is materialised):
 * the documents that moved since, or that the state does not know, are read and keyed again, and
 * rows of documents now deleted or unreadable are dropped.
 */
export async function catchUpIndex(
  index: SortedIndex,
  rows: readonly IndexStateRow[],
  source: QuerySource,
): Promise<{ opened: IndexOpened; read: number }> {
  const stored = new Map(rows.map((r) => [r[0], r]))
  const kept: IndexStateRow[] = []
  const stale: DocId[] = []
  for (const { id, version } of await source.versionsOfAll()) {
    const row = stored.get(id)
    if (row && row[1] === version) kept.push(row)
    else stale.push(id)
  }
  index.restore(kept)
  for (let i = 0; i < stale.length; i++) {
    if (i % READ_AHEAD === 0) await source.prefetch?.(stale.slice(i, i + READ_AHEAD))
    const r = await source.read(stale[i]!)
    index.update(stale[i]!, r.data, r.version)
  }
  return { opened: stale.length === 0 && kept.length === rows.length ? 'current' : 'caught-up', read: stale.length }
}
