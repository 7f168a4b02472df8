import type { DocId } from '../../types.ts'
import type { IndexStateRow, SortedIndex } from './SortedIndex.ts'
import type { IndexOpened, QuerySource } from './types.ts'

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
  for (const id of await source.ids()) {
    const row = stored.get(id)
    if (row && row[1] === source.version(id)) kept.push(row)
    else stale.push(id)
  }
  index.restore(kept)
  for (const id of stale) {
    const r = await source.read(id)
    index.update(id, r.data, r.version)
  }
  return { opened: stale.length === 0 && kept.length === rows.length ? 'current' : 'caught-up', read: stale.length }
}
