import { canonicalJson, matchesFilter, withFilterId, type DocFilter, type Document } from '../db/index.ts'
import type { Transfer } from '../orchestrator/index.ts'
import type { Grant } from './Grant.ts'

/**
 * The filter the sending side applies to one transfer under a grant: only documents created in
 * the granted source database, encrypted under a granted key, matching the grant's filter. The
 * same holds for changes the partner sends back (with `write`). Documents the source holds from
 * third parties are never passed on.
 */
export function grantTransferFilter(grant: Grant, transfer: Transfer): DocFilter {
  const fromSource = transfer.from.tenant === grant.source.tenantId
  const sourceDb = fromSource ? transfer.from.db : transfer.to.db
  const where = grant.filter ?? undefined
  // The id names everything the function decides by, so a sync state sees when any of it changes.
  const id = (keys: readonly string[] | null) =>
    `grant:${canonicalJson({ tenant: grant.source.tenantId, db: sourceDb, keys, where: where?.where ?? null })}`
  if (!fromSource) {
    // The partner's copy: it may hold the granted keys under its own names, so only origin and filter.
    return withFilterId(
      id(null),
      (doc: Document) =>
        doc.origin.tenant === grant.source.tenantId && doc.origin.db === sourceDb && matchesFilter(where, doc),
    )
  }
  const keys = new Set(grant.keyIds)
  return withFilterId(
    id([...keys].sort()),
    (doc: Document) =>
      doc.origin.tenant === grant.source.tenantId &&
      doc.origin.db === sourceDb &&
      keys.has(doc.keyId) &&
      matchesFilter(where, doc),
  )
}
