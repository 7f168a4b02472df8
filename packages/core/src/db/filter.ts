import type { DocData } from './DocState.ts'
import type { Document } from './Document.ts'

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
