import type { DocData } from './DocState.ts'
import type { Document } from './Document.ts'
import { filterFingerprint, withFilterId } from './filterFingerprint.ts'

/**
 * Which documents a filtered iteration or sync covers. A function sees each readable document;
 * `{ where }` matches top-level fields by equality and can be stored or sent as a plain value.
 */
export type DocFilter = ((doc: Document) => boolean) | { readonly where: Readonly<Record<string, unknown>> }

/** Filter: documents whose top-level `field` equals `value`. */
export const whereField = (field: string, value: unknown): DocFilter => ({ where: { [field]: value } })

/** Applies a filter; a throwing filter function counts as "no match". */
export function matchesFilter(filter: DocFilter | undefined, doc: Document): boolean {
  if (!filter) return true
  if (typeof filter === 'function') {
    try {
      return filter(doc) === true
    } catch {
      return false
    }
  }
  const data: DocData = doc.getData()
  return Object.entries(filter.where).every(([k, v]) => data[k] === v)
}

/**
 * Documents that match both filters (either may be absent). The result carries an id made of the
 * two filters' fingerprints, so a sync state sees a change of either.
 */
export function allOf(a: DocFilter | undefined, b: DocFilter | undefined): DocFilter | undefined {
  if (!a) return b
  if (!b) return a
  return withFilterId(
    `all(${filterFingerprint(a)},${filterFingerprint(b)})`,
    (doc: Document) => matchesFilter(a, doc) && matchesFilter(b, doc),
  )
}
