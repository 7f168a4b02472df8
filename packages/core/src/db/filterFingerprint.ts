import { toHex, utf8 } from '../codec/index.ts'
import { blake2b } from '../crypto/index.ts'
import type { DocFilter } from './filter.ts'

const FILTER_ID = Symbol('weft.filterId')

/** A filter function that carries the id its fingerprint is made from. */
type IdentifiedFilter = ((doc: never) => boolean) & { readonly [FILTER_ID]?: string }

/**
 * Gives a filter function a stable id (name it and version it: `'open-orders/v2'`), so a saved sync
 * state can tell whether the filter it ran under is still the one in use. Change the id whenever
 * the function would match other documents (other code, or other values it closes over).
 */
export function withFilterId<F extends (doc: never) => boolean>(id: string, filter: F): F {
  Object.defineProperty(filter, FILTER_ID, { value: id, enumerable: false })
  return filter
}

/**
 * A short, stable fingerprint of a filter, kept in a sync state: a different fingerprint next time
 * means the filter changed, and the sync starts a full filtered pass so documents that match now
 * but did not before are sent though they did not change.
 * - `{ where }`: hashed in a canonical form (keys sorted, values as JSON), so equal descriptors
 *   have equal fingerprints however they were written.
 * - A function with an id ({@link withFilterId}, or `filterId` given to the sync): the id (as
 *   given, hashed when over 256 characters).
 * - A function without one: its source text. That sees a change of code, not of the values it
 *   closes over (`(d) => d.getData().status === wanted`): give such a filter an id.
 * `undefined` (no filter) has no fingerprint.
 */
export function filterFingerprint(filter: DocFilter | undefined, filterId?: string): string | undefined {
  if (filterId !== undefined) return byId(filterId)
  if (filter === undefined) return undefined
  if (typeof filter === 'function') {
    const id = (filter as IdentifiedFilter)[FILTER_ID]
    return id !== undefined ? byId(id) : `s:${digest(filter.toString())}`
  }
  return `w:${digest(canonicalJson(filter.where))}`
}

/** An id as given (`i:<id>`), or hashed when long, so a state stays small. */
function byId(id: string): string {
  return id.length <= MAX_ID_CHARS ? `i:${id}` : `h:${digest(id)}`
}

const MAX_ID_CHARS = 256

/** JSON with object keys sorted at every level; `undefined` fields dropped, as JSON does. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/** 32 hex characters of BLAKE2b over `text`: a fingerprint of a fingerprint, to nest one in another. */
export function digest(text: string): string {
  return toHex(blake2b(utf8(text), 16))
}
