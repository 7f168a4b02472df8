import { ErrorCodes, WeftError } from '../../errors.ts'
import type { Bounds } from './matchWhere.ts'
import type { SortedIndex } from './SortedIndex.ts'

/**
 * The index a query runs on: the one it names; else the first whose leading field the query
 * bounds; else the first whose leading field it orders by; else none (every document is read).
 */
export function pickIndex(
  indexes: ReadonlyMap<string, SortedIndex>,
  named: string | undefined,
  where: ReadonlyMap<string, Bounds>,
  orderField: string | undefined,
): SortedIndex | undefined {
  if (named !== undefined) {
    const index = indexes.get(named)
    if (!index) throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `query: no index ${named}`)
    return index
  }
  let best: SortedIndex | undefined
  for (const index of indexes.values()) {
    const first = index.fields?.[0]
    if (first === undefined) continue
    const b = where.get(first)
    if (
      b &&
      (b.eq !== undefined || b.gt !== undefined || b.gte !== undefined || b.lt !== undefined || b.lte !== undefined)
    )
      return index
    if (first === orderField) best ??= index
  }
  return best
}
