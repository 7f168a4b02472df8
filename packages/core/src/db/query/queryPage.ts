import { ErrorCodes, WeftError } from '../../errors.ts'
import type { DocId } from '../../types.ts'
import { compareValues, isScalar } from './compareValues.ts'
import type { Query, Scalar } from './types.ts'

/** A query's order: a field and a direction. */
export function orderOf(o: Query['orderBy']): { field: string; direction: 'asc' | 'desc' } | undefined {
  if (o === undefined) return undefined
  if (typeof o === 'string') return { field: o, direction: 'asc' }
  if (o.direction !== undefined && o.direction !== 'asc' && o.direction !== 'desc')
    throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'query: orderBy direction is asc or desc')
  return { field: o.field, direction: o.direction ?? 'asc' }
}

/**
 * Sorts `hits` (in place) by their sort value, ties by id, whatever order an index gave them (a
 * longer key orders ties by its later parts), and returns the page after `after` of at most
 * `limit`, and whether more follow it.
 */
export function pageOf<H extends { readonly id: DocId; readonly sort: Scalar }>(
  hits: H[],
  direction: 'asc' | 'desc',
  after: { sort: Scalar; id: DocId } | undefined,
  limit: number | undefined,
): { page: H[]; more: boolean } {
  const sign = direction === 'desc' ? -1 : 1
  const compare = (a: { sort: Scalar; id: DocId }, b: { sort: Scalar; id: DocId }) =>
    sign * compareValues(a.sort, b.sort) || (a.id < b.id ? -sign : a.id > b.id ? sign : 0)
  hits.sort(compare)
  let start = 0
  if (after) {
    start = hits.findIndex((h) => compare(h, after) > 0)
    if (start < 0) start = hits.length
  }
  const end = limit === undefined ? hits.length : Math.min(hits.length, start + limit)
  return { page: hits.slice(start, end), more: end < hits.length }
}

/** The cursor of the page that ends at (`sort`, `id`). */
export function encodeCursor(sort: Scalar, id: DocId): string {
  return btoa(JSON.stringify([sort, id]))
}

/** Where a cursor from {@link encodeCursor} resumes; `WEFT_INVALID_ARGUMENT` for anything else. */
export function decodeCursor(cursor: string): { sort: Scalar; id: DocId } {
  try {
    const [sort, id] = JSON.parse(atob(cursor)) as [Scalar, DocId]
    if (!isScalar(sort) || typeof id !== 'string') throw new Error('shape')
    return { sort, id }
  } catch {
    throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'query: the cursor is not one this database gave')
  }
}
