import { ErrorCodes, WeftError } from '../errors.ts'
import type { DbLink } from '../tenant/index.ts'
import { asDbName } from '../types.ts'
import type { RelationshipDatabase, RelationshipOptions } from './status.ts'
import type { LocalSyncPeer, SyncPeer } from './SyncPeer.ts'

const DB_NAME = /^[^\u0000-\u001f/]{1,128}$/

/** Validates a relationship's definition (`WEFT_INVALID_ARGUMENT`) and returns its database links. */
export function relationshipLinks(
  id: string,
  local: LocalSyncPeer,
  partner: SyncPeer,
  dbIds: readonly RelationshipDatabase[],
  options: RelationshipOptions,
): DbLink[] {
  if (typeof id !== 'string' || id.length === 0 || id.length > 256)
    throw invalid('relationship ids are 1-256 characters')
  if (local.id === partner.id) throw invalid('a relationship needs two different tenants')
  if (!Array.isArray(dbIds) || dbIds.length === 0) throw invalid('a relationship needs at least one database')
  if (options.attachments !== undefined && options.attachments !== 'eager' && options.attachments !== 'lazy')
    throw invalid(`attachments is 'eager' or 'lazy'`)
  const links = dbIds.map(toLink)
  if (new Set(links.map((l) => l.local)).size !== links.length)
    throw invalid('a local database appears twice in one relationship')
  return links
}

function toLink(spec: RelationshipDatabase): DbLink {
  const link = typeof spec === 'string' ? { local: spec, remote: spec } : spec
  if (!link || !DB_NAME.test(link.local) || !DB_NAME.test(link.remote))
    throw invalid('database names are 1-128 characters without / or control characters')
  return { local: asDbName(link.local), remote: asDbName(link.remote) }
}

function invalid(message: string): WeftError {
  return new WeftError(ErrorCodes.INVALID_ARGUMENT, message)
}
